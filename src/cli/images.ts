// `contree images` (aliases `i`, `img`): list images (the default subcommand) and import them
// from registries. The list flags are accepted before `list` as well as after it
// (`images --prefix X list`); a flag given after `list` wins (CLI spec §12.20 fixed).

import { Command } from "../deps.ts";
import type { ImagesDeps } from "../images/deps.ts";
import { DEFAULT_IMAGE_LIMIT, listImages } from "../images/list.ts";
import type { App } from "./app.ts";
import { positiveInt } from "./parse.ts";
import type { RootCommand, Runner } from "./root.ts";
import { prompt } from "../prompt.ts";
import { timeFilter } from "./wiring.ts";

interface ListFlags {
  prefix?: string;
  uuid?: string;
  all?: boolean;
  since?: string;
  until?: string;
  limit: number;
}

/** Adds the list flags (defined once, used by `images` and `images list`). */
function withListFlags(command: Command): Command {
  return command
    .option("--prefix <prefix>", "only images whose tag starts with PREFIX")
    .option("-i, --uuid <uuid>", "only the image with this UUID")
    .option("-a, --all", "untagged images too (default: tagged only)")
    .option("--since <when>", "created after: a date, HH:MM, or an interval ago (1h30m, 2d)")
    .option("--until <when>", "created before (same syntax as --since)")
    .option("--limit <n>", "show at most N images", positiveInt, DEFAULT_IMAGE_LIMIT) as Command;
}

/** The subcommand's flags, with those given to the parent where the subcommand used defaults. */
export function mergedFlags<T extends object>(command: Command): T {
  const merged: Record<string, unknown> = { ...command.opts() };
  const parent = command.parent;
  if (parent) {
    for (const [key, value] of Object.entries(parent.opts())) {
      const own = command.getOptionValueSource(key);
      if ((own === undefined || own === "default") && parent.getOptionValueSource(key) === "cli") {
        merged[key] = value;
      }
    }
  }
  return merged as T;
}

function imagesDeps(app: App): ImagesDeps {
  return {
    ctx: app.ctx,
    client: app.client(),
    output: (order) => app.output(order),
    concurrency: app.concurrency(),
  };
}

function listCommand(run: Runner): Command {
  const list = withListFlags(
    new Command("list").alias("ls").description("list images (tagged only unless --all)"),
  );
  return list.action((_flags, command: Command) => {
    const flags = mergedFlags<ListFlags>(command);
    return run((app) =>
      listImages(imagesDeps(app), {
        prefix: flags.prefix,
        uuid: flags.uuid,
        all: flags.all === true,
        since: timeFilter(app, flags.since),
        until: timeFilter(app, flags.until, "--until"),
        limit: flags.limit,
      })
    );
  });
}

function importCommand(run: Runner): Command {
  return new Command("import")
    .description(
      "import images from a registry: NAME[:TAG], REGISTRY/PATH[:TAG], docker://…, " +
        "brace groups (ubuntu:{22.04,24.04}) and ?tag=TAG to choose the tag",
    )
    .argument("<refs...>", "registry references")
    .option("--username <user>", "registry user (the password is asked when not given)")
    .option("--password <password>", "registry password")
    .option("-t, --timeout <seconds>", "server-side import timeout", positiveInt)
    .action((refs, flags) =>
      run(async (app) =>
        (await import("../images/import_cmd.ts")).importImages({
          ...imagesDeps(app),
          askPassword: () => prompt(app.ctx, "Registry password: ", { hidden: true }),
        }, {
          refs,
          username: flags.username,
          password: flags.password,
          timeout: flags.timeout,
        })
      )
    ) as unknown as Command;
}

export function registerImages(program: RootCommand, run: Runner): void {
  const images = withListFlags(
    program
      .command("images")
      .aliases(["i", "img"])
      .description("list images (default) and import them from registries") as unknown as Command,
  );
  images.addCommand(listCommand(run), { isDefault: true });
  images.addCommand(importCommand(run));
}

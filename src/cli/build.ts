// `contree build` (`bd`): build an image from a Dockerfile, RUN output streamed live.

import { Option } from "../deps.ts";
import { aliasOption } from "./help.ts";
import { imageCache } from "../session/adapters.ts";
import { collect, intAtLeast } from "./parse.ts";
import type { RootCommand, Runner } from "./root.ts";

export function registerBuild(program: RootCommand, run: Runner): void {
  program
    .command("build")
    .alias("bd")
    .description(
      "build an image from a Dockerfile: FROM/RUN/COPY/ADD/ENV/ARG/WORKDIR/USER/SHELL, " +
        "multi-stage, cached steps; RUN output streams live",
    )
    .argument("[context]", "the build context directory", ".")
    .option(
      "-f, --file <path>",
      "the Dockerfile (default: CONTEXT/Dockerfile or Containerfile; - reads it from stdin)",
    )
    .addOption(aliasOption("--dockerfile <path>", "--file"))
    .option(
      "-t, --tag <name[:tag]>",
      "tag the result (once: an image has one tag; `name` means name:latest)",
      collect,
      [],
    )
    .option(
      "--build-arg <KEY=VALUE>",
      "value of an ARG (repeatable; KEY alone takes $KEY)",
      collect,
      [],
    )
    .option("--no-cache", "run every step again (the step cache is still rewritten)")
    .option("--target <stage>", "build up to this stage (`FROM … AS stage`)")
    .option("--timeout <seconds>", "time limit of each RUN step", intAtLeast(1), 600)
    .addOption(
      new Option(
        "--network <mode>",
        "networking of RUN steps: default (on, as docker build) or none",
      )
        .choices(["default", "none"] as const)
        .default("default" as const),
    )
    .action((context, flags) =>
      run(async (app) => {
        const { buildCommand } = await import("../docker/build.ts");
        const store = await app.store();
        return await buildCommand({
          ctx: app.ctx,
          client: app.client(),
          layers: store,
          cache: imageCache(store),
          format: app.globals.format,
          output: () => app.output({ head: ["image", "tag", "session"] }),
          concurrency: app.concurrency(),
        }, {
          context,
          dockerfile: flags.file ?? flags.dockerfile,
          tags: flags.tag,
          buildArgs: flags.buildArg,
          noCache: flags.cache === false,
          target: flags.target,
          timeout: flags.timeout,
          network: flags.network,
        });
      })
    );
}

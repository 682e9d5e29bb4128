// `contree ls`, `cat`, `cp`: read files of an image without running it — the session's current
// image, or any image with `--image` (a contree extension). Paths are relative to the session
// cwd.

import { resolveImageRef } from "../api/image_ref.ts";
import type { InspectDeps } from "../inspect/deps.ts";
import { NO_CACHE } from "../cache.ts";
import { resolveSandboxPath } from "../sandbox_path.ts";
import { imageCache } from "../session/adapters.ts";
import type { App } from "./app.ts";
import type { RootCommand, Runner } from "./root.ts";

const IMAGE_HELP = "read this image (UUID, tag:NAME, NAME) instead of the session's";

export function inspectDeps(app: App): InspectDeps {
  return {
    ctx: app.ctx,
    client: app.client(),
    format: app.globals.format,
    output: (order) => app.output(order),
    cache: async () => {
      const store = await app.optionalStore();
      return store ? imageCache(store) : NO_CACHE;
    },
    locate: async (path, image) => {
      // An absolute path in a named image needs no session (and no session store).
      if (image !== undefined && path?.startsWith("/")) {
        return {
          image: await resolveImageRef(app.client(), image),
          path: resolveSandboxPath("/", path),
        };
      }
      const store = await app.store();
      const key = await app.sessionKey();
      const uuid = image === undefined
        ? store.requireTip(key).image
        : await resolveImageRef(app.client(), image);
      return { image: uuid, path: store.resolvePath(key, path ?? "") };
    },
  };
}

export function registerInspect(program: RootCommand, run: Runner): void {
  program
    .command("ls")
    .description("list a directory of the image (default: the session cwd)")
    .argument("[path]", "directory, absolute or relative to the session cwd")
    .option("--image <image>", IMAGE_HELP)
    .action((path, flags) =>
      run(async (app) => {
        const { lsCommand } = await import("../inspect/ls.ts");
        return await lsCommand(inspectDeps(app), { path, image: flags.image });
      })
    );

  program
    .command("cat")
    .description("write a file of the image to stdout")
    .argument("<path>", "file, absolute or relative to the session cwd")
    .option("--image <image>", IMAGE_HELP)
    .action((path, flags) =>
      run(async (app) => {
        const { catCommand } = await import("../inspect/cat.ts");
        return await catCommand(inspectDeps(app), { path, image: flags.image });
      })
    );

  program
    .command("cp")
    .description("copy a file or a directory of the image to a local path")
    .argument("<path>", "file or directory, absolute or relative to the session cwd")
    .argument("<dest>", "local destination (an existing directory receives PATH's name)")
    .option("--image <image>", IMAGE_HELP)
    .action((path, dest, flags) =>
      run(async (app) => {
        const { cpCommand } = await import("../inspect/cp.ts");
        return await cpCommand(inspectDeps(app), { path, dest, image: flags.image });
      })
    );
}

// `contree tag` (alias `t`): set or remove an image tag.

import { resolveImageRef } from "../api/image_ref.ts";
import { aliasOption } from "./help.ts";
import type { RootCommand, Runner } from "./root.ts";

export function registerTag(program: RootCommand, run: Runner): void {
  program
    .command("tag")
    .alias("t")
    .description("tag an image (default: the session's current image), or remove a tag with -U")
    .usage("[options] [IMAGE] TAG")
    .argument("<image-or-tag>", "TAG alone (the session image), or IMAGE (UUID, tag:NAME, NAME)")
    .argument("[tag]", "the tag, when IMAGE is given")
    .option("-U, --delete", "remove the tag instead of setting it")
    .addOption(aliasOption("--rm", "--delete"))
    .action((first, second, flags) =>
      run(async (app) =>
        (await import("../images/tag.ts")).tagCommand({
          ctx: app.ctx,
          client: app.client(),
          sessionImage: async () => (await app.store()).currentImage(await app.sessionKey()),
          resolveImage: (ref) => resolveImageRef(app.client(), ref),
        }, {
          image: second === undefined ? undefined : first,
          tag: second ?? first,
          remove: flags.delete === true || flags.rm === true,
        })
      )
    );
}

// `contree use` (alias `ci`): start or continue a session at an image.

import { withSessionErrors } from "../session/report.ts";
import { useCommand } from "../session/use_cmd.ts";
import type { RootCommand, Runner } from "./program.ts";

export function registerUse(program: RootCommand, run: Runner): void {
  program
    .command("use")
    .alias("ci")
    .description(
      "set the session image (UUID, tag:NAME or NAME) and print `export CONTREE_SESSION=…`; " +
        "without IMAGE, show the session",
    )
    .argument("[image]", "image UUID or tag")
    .option("-N, --new", "start a new session with a random key")
    .action((image, options) =>
      run((app) =>
        withSessionErrors(app, () => useCommand(app, { image, new: options.new === true }))
      )
    );
}

// `contree use` (alias `ci`): start or continue a session at an image.

import type { RootCommand, Runner } from "./root.ts";
import { sessionHandler } from "./wiring.ts";

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
      run(sessionHandler(async (deps) => {
        const { useCommand } = await import("../session/use_cmd.ts");
        return await useCommand(deps, { image, new: options.new === true });
      }))
    );
}

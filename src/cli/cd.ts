// `contree cd`: the session's working directory inside the image.

import type { RootCommand, Runner } from "./root.ts";
import { sessionHandler } from "./wiring.ts";

export function registerCd(program: RootCommand, run: Runner): void {
  program
    .command("cd")
    .description("change the session's working directory (checked in the image); no PATH prints it")
    .argument("[path]", "directory, absolute or relative to the current one")
    .action((path) =>
      run(
        sessionHandler(async (deps) =>
          (await import("../session/cd_cmd.ts")).cdCommand(deps, path)
        ),
      )
    );
}

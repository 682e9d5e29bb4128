// `contree env`: session environment variables sent with every run.

import { aliasOption } from "./help.ts";
import type { RootCommand, Runner } from "./root.ts";
import { sessionHandler } from "./wiring.ts";

export function registerEnv(program: RootCommand, run: Runner): void {
  program
    .command("env")
    .description("show, set (K=V …) or unset (-U K …) the session's environment variables")
    .argument("[args...]", "KEY=VALUE pairs to set, or with -U the keys to unset")
    .option("-U, --delete", "unset the given keys")
    .addOption(aliasOption("--rm", "--delete"))
    .action((args, options) =>
      run(
        sessionHandler(async (deps) => {
          const { envCommand } = await import("../session/env_cmd.ts");
          return await envCommand(deps, {
            args,
            unset: options.delete === true || options.rm === true,
          });
        }),
      )
    );
}

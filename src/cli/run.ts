// `contree run` (`r`): run a command in a sandbox, streaming its output live.

import { aliasOption } from "./help.ts";
import type { RunOptions } from "../operations/run.ts";
import { collect, intAtLeast } from "./parse.ts";
import type { RootCommand, Runner } from "./root.ts";

export function registerRun(program: RootCommand, run: Runner): void {
  program
    .command("run")
    .alias("r")
    .description("run a command in a sandbox from the session image; output streams live")
    .usage("[options] [--] COMMAND [ARGS...]")
    .option("-t, --timeout <seconds>", "time limit of the command", intAtLeast(1), 120)
    .option(
      "-C, --cwd <path>",
      "working directory (default: the session cwd (`contree cd`), else the server's: /root)",
    )
    .option("-e, --env <KEY=VALUE>", "environment variable, one per flag (repeatable)", collect, [])
    .option("-H, --hostname <name>", "hostname of the sandbox", "linuxkit")
    .option("-D, --disposable", "do not keep the result image; the session does not advance")
    .option(
      "-I, --interpreter",
      "COMMAND is a local script with a shebang, run by /bin/sh in the sandbox",
    )
    .option("-s, --shell", "run COMMAND through sh -c (several words are quoted and joined)")
    .option(
      "-F, --file <spec>",
      "attach a host file or directory: host[:/sandbox/path][:u<uid>][:g<gid>][:m<mode>] (repeatable)",
      collect,
      [],
    )
    .option("--file-excludes <patterns...>", "extra glob patterns to skip in directory attachments")
    .option("-T, --truncate <bytes>", "cap on captured stdout/stderr", intAtLeast(0), 65536)
    .option("--preserve-env", "keep the environment in the result image for later runs")
    .option("-d, --detach", "return after spawning (see `contree session wait`, `contree op wait`)")
    .addOption(aliasOption("--no-wait", "--detach"))
    .option("--use <image>", "start from IMAGE (recorded in the session first)")
    .argument("[command...]", "the command and its arguments (everything after the flags)")
    .passThroughOptions()
    .action((command, flags) =>
      run(async (app) => {
        const options: RunOptions = {
          command,
          timeout: flags.timeout,
          cwd: flags.cwd,
          env: flags.env,
          hostname: flags.hostname,
          disposable: flags.disposable === true,
          interpreter: flags.interpreter === true,
          shell: flags.shell === true,
          files: flags.file,
          fileExcludes: flags.fileExcludes ?? [],
          truncate: flags.truncate,
          preserveEnv: flags.preserveEnv === true,
          detach: flags.detach === true || flags.wait === false,
          use: flags.use || undefined,
        };
        const [{ runCommand }, { runDeps }] = await Promise.all([
          import("../operations/run.ts"),
          import("./wiring.ts"),
        ]);
        return await runCommand(await runDeps(app), options);
      })
    );
}

// `contree session` (alias `s`): sessions, branches and history.

import { aliasOption } from "./help.ts";
import { nonNegativeInt } from "./parse.ts";
import type { SessionDeps } from "../session/deps.ts";
import type { RootCommand, Runner } from "./root.ts";
import { sessionHandler } from "./wiring.ts";

type SessionCommands = typeof import("../session/session_cmd.ts");

const REF_HELP = "operation UUIDs or history references (HEAD, HEAD~N, @, @N, @-N, @+N, :N, N)";

export function registerSession(program: RootCommand, run: Runner): void {
  /** Runs a body of src/session/session_cmd.ts, loaded on first use. */
  const runSession = (
    body: (deps: SessionDeps, commands: SessionCommands) => Promise<number | void>,
  ) => run(sessionHandler(async (deps) => body(deps, await import("../session/session_cmd.ts"))));

  const session = program
    .command("session")
    .alias("s")
    .description("sessions: history, branches, rollback; without a subcommand, the current one")
    .action(() =>
      run(sessionHandler(async (deps) => {
        const { showSession } = await import("../session/use_cmd.ts");
        return await showSession(deps, await deps.store(), await deps.sessionKey());
      }))
    );

  session
    .command("list")
    .alias("ls")
    .description("list sessions, most recently updated first")
    .option("--filter <text>", "only keys containing TEXT")
    .action((options) =>
      runSession((deps, commands) => commands.sessionList(deps, { filter: options.filter }))
    );

  session
    .command("use")
    .description("continue this session from another session's current image")
    .argument("<name>", "session key (or its unique suffix)")
    .action((name) => runSession((deps, commands) => commands.sessionUse(deps, name)));

  session
    .command("branch")
    .alias("br")
    .description("list branches; create NAME (without switching); --delete NAME; --prune")
    .argument("[name]", "branch to create or delete")
    .option("--from <branch>", "create from this branch's tip (default: the active branch)")
    .option("-U, --delete", "delete branch NAME")
    .addOption(aliasOption("--rm", "--delete"))
    .option("--prune", "delete the detached-* and disposable-* branches")
    .action((name, options) =>
      runSession((deps, commands) =>
        commands.sessionBranch(deps, {
          name,
          from: options.from,
          delete: options.delete === true || options.rm === true,
          prune: options.prune === true,
        })
      )
    );

  session
    .command("checkout")
    .alias("co")
    .description("switch the active branch")
    .argument("<branch>", "branch name")
    .action((branch) => runSession((deps, commands) => commands.sessionCheckout(deps, branch)));

  session
    .command("rollback")
    .alias("rb")
    .description(
      "move the active branch: -N back N (default -1), N to history entry N, +N forward N, " +
        "or a reference such as HEAD~2",
    )
    .argument("[target]", "where to go", "-1")
    .action((target) => runSession((deps, commands) => commands.sessionRollback(deps, target)));

  session
    .command("forward")
    .alias("fw")
    .description("move the active branch forward N entries (newest child each time)")
    .argument("[n]", "steps", "1")
    .action((n) =>
      runSession((deps, commands) => commands.sessionRollback(deps, `+${n.replace(/^\+/, "")}`))
    );

  session
    .command("show")
    .alias("history")
    .description("history of this session (or NAME), oldest first; the last 20 unless --all")
    .argument("[name]", "another session's key (or its unique suffix)")
    .option("-a, --all", "every entry")
    .option("-k, --kind <kind>", "only entries of this kind (KIND or KIND-*)")
    .option("-l, --last <n>", "only the last N entries (0: all)", nonNegativeInt)
    .option("--since <when>", "created after: a date, HH:MM, or an interval ago (1h30m, 2d)")
    .option("--until <when>", "created before (same syntax as --since)")
    .action((name, options) =>
      runSession((deps, commands) =>
        commands.sessionShow(deps, {
          name,
          all: options.all === true,
          kind: options.kind,
          last: options.last,
          since: options.since,
          until: options.until,
        })
      )
    );

  session
    .command("wait")
    .description(
      "wait for operations (no timeout); without arguments, for this session's detached runs, " +
        "advancing the session on success",
    )
    .argument("[refs...]", REF_HELP)
    .action((refs) => runSession((deps, commands) => commands.sessionWait(deps, refs)));

  session
    .command("prune")
    .description("delete the detached-* and disposable-* branches (same as branch --prune)")
    .action(() =>
      runSession((deps, commands) => commands.sessionBranch(deps, { delete: false, prune: true }))
    );

  session
    .command("delete")
    .aliases(["rm", "del"])
    .description("delete sessions and their history")
    .argument("<keys...>", "session keys (or unique suffixes)")
    .option("-y, --force", "do not ask for confirmation")
    .action((keys, options) =>
      runSession((deps, commands) => commands.sessionDelete(deps, keys, options.force === true))
    );
}

// The root command with the global options (CLI spec §2.1), and the types every registrar
// shares. Registrars import this file, never program.ts (which imports them).

import { Command, Option } from "../deps.ts";
import { LOG_LEVELS } from "../log.ts";
import { FORMAT_NAMES } from "../output/formatter.ts";
import type { Context } from "../context.ts";
import type { App } from "./app.ts";

/** Runs a command body with the App of this invocation; the number returned is the exit code. */
export type Handler = (app: App) => Promise<number | void>;
export type Runner = (handler: Handler) => Promise<void>;
/** Runs a whole contree invocation (`main`) in this process; the shell runs each line with it. */
export type Invoke = (args: string[], ctx: Context) => Promise<number>;

export const EXIT_CODES_HELP = `
Exit codes:
  0    success
  1    error (API error, network error, invalid reference, failed operation, no
       contact with the server for $CONTREE_FOLLOW_TIMEOUT seconds, default 900:
       the operation keeps running)
  2    usage error (unknown command, bad option, empty reference)
  4    not authenticated (no profile, no token, or the server answered 401)
  130  interrupted (SIGINT); 143 terminated (SIGTERM); 129 hung up (SIGHUP)
  141  broken pipe while streaming output (e.g. \`contree run … | head\`)
  N    a sandbox's own exit code, where a command passes it through
       (run, op wait)
`;

export type RootCommand = ReturnType<typeof createRoot>;

export function createRoot(cliDefaults: Map<string, string>) {
  const format = cliDefaults.get("output_format");
  const logLevel = cliDefaults.get("log_level");
  return new Command("contree")
    .description("ConTree sandboxes and local podman task containers from one CLI.")
    .usage("[options] <command> [args]")
    .enablePositionalOptions()
    .helpOption("-h, --help", "show help")
    .option(
      "-p, --profile <name>",
      "profile for this invocation (default: $CONTREE_PROFILE, then the active one)",
    )
    .option("--token <token>", "token for this invocation", cliDefaults.get("token"))
    .option("-u, --url <url>", "API base URL for this invocation", cliDefaults.get("url"))
    .option("-P, --project <id>", "project for this invocation", cliDefaults.get("project"))
    .option("-c, --config <path>", "credentials file (default: $CONTREE_HOME/auth.ini)")
    .addOption(
      new Option("-L, --log-level <level>", "log level")
        .choices(LOG_LEVELS)
        .default(
          (LOG_LEVELS as readonly string[]).includes(logLevel ?? "")
            ? logLevel as typeof LOG_LEVELS[number]
            : "info",
        ),
    )
    .addOption(
      new Option("-f, --format <format>", "output format")
        .choices(FORMAT_NAMES)
        .default(
          (FORMAT_NAMES as readonly string[]).includes(format ?? "")
            ? format as typeof FORMAT_NAMES[number]
            : "default",
        ),
    )
    .option(
      "-S, --session <key>",
      "session key (default: $CONTREE_SESSION or derived from the terminal)",
    )
    .option("-v, --version", "print the version and exit")
    .addHelpText("after", EXIT_CODES_HELP);
}

// Parses the command line through the command tree, runs the command, and turns every outcome
// into an exit code. Nothing below this function prints errors or exits.

import { configPaths, ProfileStore } from "../config/profiles.ts";
import type { Context } from "../context.ts";
import { CommanderError } from "../deps.ts";
import { ContreeError, Exit, ExitCode, isBrokenPipe } from "../errors.ts";
import { LOG_LEVELS } from "../log.ts";
import { FORMAT_NAMES } from "../output/formatter.ts";
import { userAgent } from "../version.ts";
import type { App, GlobalOptions } from "./app.ts";
import { subcommand } from "./help.ts";
import { buildProgram, commandWord } from "./program.ts";
import type { Handler, Invoke, RootCommand } from "./root.ts";

type AnyCommand = RootCommand["commands"][number];

function commandPath(command: AnyCommand): string {
  const names: string[] = [];
  for (let c: AnyCommand | null = command; c; c = c.parent as AnyCommand | null) {
    names.unshift(c.name());
  }
  return names.join(" ");
}

/** Routes commander's output through our sinks; usage errors get a usage line first. */
function configureOutput(root: RootCommand, ctx: Context): void {
  const visit = (command: AnyCommand) => {
    command.exitOverride();
    command.configureOutput({
      writeOut: (text) => void ctx.stdout.write(text).catch(() => {}),
      writeErr: (text) => void ctx.stderr.write(text).catch(() => {}),
      outputError: (text, write) =>
        write(
          `Usage: ${commandPath(command)} ${command.usage()}\n${text}` +
            globalOptionHint(root, command, text),
        ),
      getOutHelpWidth: () => ctx.stdout.columns() ?? 80,
      getErrHelpWidth: () => ctx.stderr.columns() ?? 80,
    });
    for (const child of command.commands) visit(child as AnyCommand);
  };
  visit(root as unknown as AnyCommand);
}

/**
 * `contree ps -f json`: an option of contree itself given after the command is unknown there, as
 * in the reference; the error says where it goes.
 */
function globalOptionHint(root: RootCommand, command: AnyCommand, text: string): string {
  const flag = /unknown option '([^'=]+)/.exec(text)?.[1];
  if (!flag || command === (root as unknown as AnyCommand)) return "";
  const global = root.options.find((option) => option.short === flag || option.long === flag);
  if (!global) return "";
  const path = commandPath(command).split(" ").slice(1).join(" ");
  return `(${flag} is an option of contree itself: put it before the command, as in ` +
    `contree ${flag}${global.required || global.optional ? " …" : ""} ${path} …)\n`;
}

/**
 * `contree nosuch --help` printed the root's help and exited 0, and `contree images delete
 * --help` the help of `images`, as if there were such a command: the help flag goes, so that the
 * unknown command is said (with a suggestion) and exits 2, as without it. The words right after
 * the command word are followed down the groups; a word that may be a group's own argument is
 * left to it.
 */
function withoutHelpOfUnknown(program: RootCommand, argv: string[]): string[] {
  const withoutHelp = () => argv.filter((arg) => arg !== "--help" && arg !== "-h");
  const word = commandWord(argv);
  if (typeof word !== "string") return argv;
  let command: AnyCommand | undefined = subcommand(program, word);
  if (!command) return withoutHelp();
  for (let i = argv.indexOf(word) + 1; i < argv.length && !argv[i].startsWith("-"); i++) {
    if (command.commands.length === 0) break;
    const next: AnyCommand | undefined = subcommand(command, argv[i]);
    if (!next) return command.registeredArguments.length > 0 ? argv : withoutHelp();
    command = next;
  }
  return argv;
}

/** `[cli]` defaults the parser cannot take are ignored, with a line that says so. */
function warnIgnoredDefaults(defaults: Map<string, string>, ctx: Context): void {
  const checks: [string, readonly string[]][] = [
    ["output_format", FORMAT_NAMES],
    ["log_level", LOG_LEVELS],
  ];
  for (const [key, choices] of checks) {
    const value = defaults.get(key);
    if (value !== undefined && !choices.includes(value)) {
      ctx.log.warning(`Ignoring [cli] ${key} = ${value}: not one of ${choices.join(", ")}`);
    }
  }
}

/** Exit code for an error, after reporting it (one line on stderr). */
export function reportError(error: unknown, ctx: Context): number {
  if (error instanceof CommanderError) {
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return 0;
    // `contree help [command]` asked for it (0); a group without its subcommand shows it as an
    // error (commander's 1: a usage error here).
    if (error.code === "commander.help" && error.exitCode === 0) return 0;
    return ExitCode.USAGE;
  }
  if (error instanceof Exit) return error.exitCode;
  if (isBrokenPipe(error)) return ExitCode.BROKEN_PIPE;
  if (error instanceof ContreeError) {
    if (error.labelled) ctx.log.error(error.message);
    else void ctx.stderr.write(`${error.message}\n`).catch(() => {});
    if (error.cause && ctx.log.enabled("debug")) {
      ctx.log.debug(String((error.cause as Error).stack ?? error.cause));
    }
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  // The system refused (a read-only disk, no permission): said as it is, not as a bug of ours.
  const code = (error as { code?: unknown })?.code;
  // Deno leaves some without a code (ENXIO): its message then ends "(os error N): …".
  const system = error instanceof Error &&
    ((typeof code === "string" && /^E[A-Z0-9]+$/.test(code)) || /\(os error \d+\)/.test(message));
  ctx.log.error(system ? message : `Unexpected error: ${message}`);
  if (error instanceof Error && ctx.log.enabled("debug")) ctx.log.debug(error.stack ?? "");
  return ExitCode.ERROR;
}

/**
 * Runs contree with `args` (without the program name) and returns the exit code; `invoke` runs
 * another command line the same way (`contree shell` runs its lines through it).
 */
export async function runCommandLine(
  args: string[],
  ctx: Context,
  invoke: Invoke,
): Promise<number> {
  let exitCode: number = ExitCode.OK;
  let app: App | undefined;
  try {
    const config = await ProfileStore.load(configPaths(ctx.env, ctx.home));
    warnIgnoredDefaults(config.cliDefaults(), ctx);
    // No arguments at all: the top-level help on stdout, exit 0 (as the reference).
    const argv = args.length === 0 ? ["--help"] : args;
    const program: RootCommand = await buildProgram(
      config,
      async (handler: Handler) => {
        const globals = program.opts() as GlobalOptions;
        ctx.log.level = globals.logLevel;
        // Loaded once a command runs: `-v` and `--help` need no client, store or formatter.
        const { App } = await import("./app.ts");
        app = await App.create(ctx, globals, config);
        exitCode = (await handler(app)) ?? ExitCode.OK;
      },
      argv,
      invoke,
    );
    configureOutput(program, ctx);
    program.on("option:version", () => {
      void ctx.stdout.write(`${userAgent()}\n`).catch(() => {});
      throw new CommanderError(0, "commander.version", userAgent());
    });
    await program.parseAsync(withoutHelpOfUnknown(program, argv), { from: "user" });
  } catch (error) {
    exitCode = reportError(error, ctx);
  }
  if (app) {
    try {
      await app.close();
    } catch (error) {
      const code = reportError(error, ctx);
      if (exitCode === ExitCode.OK) exitCode = code;
    }
  }
  await Promise.all([ctx.stdout.drain(), ctx.stderr.drain()]);
  return exitCode;
}

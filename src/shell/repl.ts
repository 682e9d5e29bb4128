// `contree shell` (alias `sh`, CLI spec §10): an interactive prompt over the session. Bare lines
// run in the sandbox as `contree run --shell LINE`; `contree …` runs any command of the tree;
// a few builtins (cd, pwd, history, help, clear, -f) and aliases (ls, cat, vim, …) are handled
// here.
//
// Deviations (docs/DEVIATIONS.md): the implicit run has run's default timeout (120 s) instead
// of none (§12.34); with a pipe on stdin there are no banner, status lines or prompts, lines are
// not added to the history, and commands do not read the rest of the script as their stdin.

import { ContreeError, Exit, Interrupted } from "../errors.ts";
import type { Sink } from "../io.ts";
import { resolveSandboxPath } from "../sandbox_path.ts";
import type { Styler } from "../style.ts";
import { INTERRUPTED, type LineReader } from "./reader.ts";
import { isOpen, joinContinued, lineWords, pythonRepr, timeoutPrefix } from "./words.ts";

/** What the shell needs of the session store, for the session of this shell. */
export interface ShellSession {
  readonly key: string;
  /** The active branch, its tip's image and the depth of the tip; undefined without one. */
  state(): { branch: string; image: string; depth: number } | undefined;
  /** The working directory (`/` when never changed). */
  cwd(): string;
  /** Records a `cd` entry; false when there is no session to record it in. */
  changeDirectory(path: string): boolean;
  hasPendingFiles(): boolean;
  /** The lines of this session, oldest first. */
  history(): string[];
  addHistory(line: string): void;
}

export interface ShellDeps {
  stdout: Sink;
  stderr: Sink;
  reader: LineReader;
  session: ShellSession;
  /**
   * Runs `contree ARGS` in this process through a fresh command tree, with the shell's profile,
   * session and log level and the output format `format`; errors are reported there. Returns
   * the exit code.
   */
  invoke(args: string[], format: string): Promise<number>;
  /** The top-level command `word` names (a name or an alias), by its name. */
  commandOf(word: string): string | undefined;
  formats: readonly string[];
  /** The format lines start with (the shell's -f). */
  format: string;
  /** Colours of stdout (the prompt) and stderr (the status line). */
  styles: { stdout: Styler; stderr: Styler };
  /** Called after every line that ran (completion caches follow session changes). */
  afterLine?(): void;
  /** The process's signal: once it aborts (SIGTERM), the shell ends with its reason. */
  signal?: AbortSignal;
}

export const BANNER = "contree interactive shell (type 'help' for commands, Ctrl-D to exit)";

const EDITORS = ["vim", "vi", "nvim", "nano"];
const GLOB = /[*?[]/;
/** What sh would read otherwise than as a path: operators, expansions, `~` (only it runs them). */
const SHELL_SYNTAX = /[|&;<>()$`\\]|^~/;

const SHELL_HELP = `contree interactive shell

  A line that is not a builtin runs in the sandbox as \`contree run --shell LINE\`: the
  whole line goes to sh -c, so pipes, redirections and quotes work as typed. The session
  advances with every successful run. \`contree COMMAND …\` runs any contree command
  (only -f/--format may come before COMMAND; the shell's profile and session apply).

Builtins:
  cd [PATH]           change the working directory (cd - for the previous one)
  pwd                 print the working directory
  history [PATTERN]   lines of this session (PATTERN: case-insensitive substring)
  help [TOPIC]        this text, a builtin's, or \`contree TOPIC --help\`
  clear               clear the screen
  -f, --format [NAME] show or change the output format of later lines
  timeout DURATION CMD…   run CMD with the operation timeout DURATION (30, 90s, 5m, 2h, 1d)
  exit [N], quit      leave (also Ctrl-D): with N, else the last line's exit status

Aliases:
  ls [PATH]           contree ls (no VM); relative to the working directory
  cat PATH            contree cat (no VM)
  vim|vi|nvim|nano PATH   contree file edit with that editor

  ls and cat run in the sandbox instead when files are staged, or when they get options,
  globs, pipes, redirections, \$ or ~, or more paths. Bypass the aliases with:
  contree run -- ls -la

A trailing \\ or an open quote continues the line on a \`> \` prompt. Tab completes
commands, options, their values, images, branches, sessions and paths. Ctrl-C sends SIGINT
to the running line's process; a second Ctrl-C cancels it; the shell goes on.

Type 'help TOPIC' for a builtin or a contree command.`;

const BUILTIN_HELP: Record<string, string> = {
  cd: `Usage: cd [PATH]

Change the working directory of later lines (recorded as a \`cd\` entry of the session; the
directory is not checked).
  cd /app     to /app
  cd src      relative to the current directory
  cd -        back to the previous directory (and print it)
  cd          back to /`,
  pwd: "Usage: pwd\n\nPrint the working directory.",
  history: `Usage: history [PATTERN]

The lines of this session, numbered, oldest first; with PATTERN only the lines containing it
(case-insensitive). The last 10000 lines are kept, in the session database.`,
  help: "Usage: help [TOPIC]\n\nThe shell's help, a builtin's, or `contree TOPIC --help`.",
  clear: "Usage: clear\n\nClear the screen.",
  timeout: `Usage: timeout DURATION COMMAND...

Run COMMAND in the sandbox with the operation timeout DURATION, enforced by the server: a
number of seconds, or a number with s, m, h or d (30, 1.5m, 2h). When DURATION is not one of
these (timeout --help, timeout -k 5 30 cmd), the line runs in the sandbox unchanged, so the
image's own timeout program handles it.`,
  exit: `Usage: exit [N] | quit [N]

Leave the shell (Ctrl-D too) with exit status N (0-255), else the last line's, as sh does:
a script on a pipe fails as its last line did.`,
  vim: editorHelp("vim"),
  nvim: editorHelp("nvim"),
  nano: editorHelp("nano"),
};

const HELP_ALIASES: Record<string, string> = { quit: "exit", "-f": "--format", vi: "vim" };

function editorHelp(editor: string): string {
  return `Usage: ${editor} PATH

Edit a file of the session image with ${editor} (contree file edit --editor ${editor}): the file
is downloaded, opened here, and the result is staged for the next run.`;
}

class Shell {
  format: string;
  previousCwd = "/";
  /** The exit status of the last line (sh's `$?`): the shell's own when it ends. */
  status = 0;
  /** A line's command ended by the process's signal has already said so (e.g. "Terminated"). */
  #signalReported = false;

  constructor(private readonly deps: ShellDeps) {
    this.format = deps.format;
  }

  async invoke(args: string[], format = this.format): Promise<void> {
    const code = await this.deps.invoke(args, format);
    this.status = code;
    const reason = this.deps.signal?.aborted ? this.deps.signal.reason : undefined;
    if (reason instanceof ContreeError && code === reason.exitCode) this.#signalReported = true;
  }

  /** What ends the shell once the process's signal aborted: quietly when a line reported it. */
  ended(reason: unknown): unknown {
    return this.#signalReported && reason instanceof ContreeError
      ? new Exit(reason.exitCode)
      : reason;
  }

  async say(text: string): Promise<void> {
    await this.deps.stdout.write(`${text}\n`);
  }

  /** A builtin's refusal: said on stderr, and the line's status is 1. */
  async complain(text: string, status = 1): Promise<void> {
    this.status = status;
    await this.deps.stderr.write(`${text}\n`);
  }

  cwd(): string {
    return this.deps.session.cwd();
  }

  resolve(path: string): string {
    return resolveSandboxPath(this.cwd(), path);
  }

  statusLine(): string {
    const { stderr: style } = this.deps.styles;
    const state = this.deps.session.state();
    const image = state?.image || "(none: contree use IMAGE)";
    return `${style.apply("session: ", "gray")}${style.apply(this.deps.session.key, "yellow")} ` +
      `${style.apply(`[${state?.depth ?? 0}]`, "cyan")} ${style.apply("image: ", "gray")}` +
      `${style.apply(image, "green")}`;
  }

  prompt(): string {
    const { stdout: style } = this.deps.styles;
    const branch = this.deps.session.state()?.branch;
    const head = branch ? `${style.apply(`(${branch})`, "magenta")} ` : "";
    return `${head}${style.apply(this.cwd(), "bold", "blue")} $ `;
  }

  /** The whole line, reading continuation lines while it is open; undefined when abandoned. */
  async complete(first: string, history: readonly string[]): Promise<string | undefined> {
    if (first.startsWith("#")) return first; // a quote in a comment opens nothing
    const lines = [first];
    while (isOpen(joinContinued(lines))) {
      const next = await this.deps.reader.read(this.deps.reader.interactive ? "> " : "", history);
      if (next === INTERRUPTED || (next === null && this.deps.reader.interactive)) {
        if (this.deps.reader.interactive) await this.deps.stdout.write("\n");
        return undefined;
      }
      if (next === null) return joinContinued(lines); // a pipe ended: the parse error says why
      lines.push(next);
    }
    return joinContinued(lines);
  }

  /** Runs one line; `{ exit }` to leave with that status. */
  async execute(line: string): Promise<{ exit: number } | void> {
    // A comment, as in sh: nothing runs (it was sent to the sandbox), and `$?` stays.
    if (line.startsWith("#")) return;
    const previous = this.status;
    this.status = 0;
    let words: string[];
    try {
      words = lineWords(line);
    } catch (error) {
      await this.complain(`Parse error: ${(error as Error).message}`, 2);
      return;
    }
    if (words.length === 0) return;
    const [command, ...args] = words;
    switch (command) {
      case "exit":
      case "quit":
        return this.exitStatus(args[0], previous);
      case "help":
        return await this.help(args[0]);
      case "clear":
        return await this.deps.stdout.write("\x1b[2J\x1b[H");
      case "-f":
      case "--format":
        return await this.switchFormat(args[0]);
      case "cd":
        return await this.cd(args[0]);
      case "pwd":
        return await this.say(this.cwd());
      case "history":
        return await this.history(args[0]);
      case "ls":
      case "cat":
        if (this.inspectable(command, args)) {
          await this.invoke([command, ...args.map((arg) => this.resolve(arg))]);
          return;
        }
        return await this.run(line);
      case "contree":
        return await this.contree(args);
      case "timeout": {
        const limited = timeoutPrefix(line);
        return limited ? await this.run(limited.rest, limited.seconds) : await this.run(line);
      }
    }
    if (EDITORS.includes(command)) return await this.edit(command, args[0]);
    await this.run(line);
  }

  /** `exit [N]`: N, or the status of the line before; a word that is no number is 2, as in sh. */
  async exitStatus(word: string | undefined, previous: number): Promise<{ exit: number }> {
    if (word === undefined) return { exit: previous };
    if (/^\d+$/.test(word)) return { exit: Number(word) % 256 };
    await this.complain(`exit: ${word}: numeric argument required`, 2);
    return { exit: 2 };
  }

  /** `ls`/`cat` through the inspection commands, unless they need the sandbox. */
  inspectable(command: string, args: string[]): boolean {
    if (args.some((arg) => arg.startsWith("-") || GLOB.test(arg) || SHELL_SYNTAX.test(arg))) {
      return false;
    }
    if (command === "cat" ? args.length !== 1 : args.length > 1) return false;
    // Staged files are not in the image yet: only the sandbox sees them.
    return !this.deps.session.hasPendingFiles();
  }

  /** The implicit run: the whole line as one shell expression, in the shell's cwd. */
  async run(line: string, timeout?: number): Promise<void> {
    const limit = timeout === undefined ? [] : ["-t", String(timeout)];
    await this.invoke(["run", "-s", ...limit, "-C", this.cwd(), "--", line]);
  }

  async edit(editor: string, path: string | undefined): Promise<void> {
    if (!path) return await this.complain(`Usage: ${editor} <path>`);
    await this.invoke(["file", "edit", "--editor", editor, this.resolve(path)]);
  }

  async contree(words: string[]): Promise<void> {
    let format: string | undefined;
    let i = 0;
    for (; i < words.length && words[i].startsWith("-") && words[i] !== "-"; i++) {
      const word = words[i];
      if (word === "-h" || word === "--help") {
        await this.invoke(["--help"]);
        return;
      }
      if (word === "-f" || word === "--format") {
        format = words[++i];
        if (format === undefined) return await this.complain(`${word} needs a format name`);
      } else if (word.startsWith("--format=")) format = word.slice("--format=".length);
      else if (/^-f./.test(word)) format = word.slice(2);
      else {
        return await this.complain(
          `${word}: only -f/--format may come before the command in the shell ` +
            "(the shell's profile and session apply)",
        );
      }
    }
    const rest = words.slice(i);
    if (rest.length === 0) return await this.say(SHELL_HELP);
    if (format !== undefined && !this.deps.formats.includes(format)) {
      return await this.unknownFormat(format);
    }
    if (this.deps.commandOf(rest[0]) === "shell") {
      return await this.complain("contree shell cannot be run inside the shell");
    }
    await this.invoke(rest, format ?? this.format);
  }

  async unknownFormat(name: string): Promise<void> {
    await this.complain(
      `Unknown format ${pythonRepr(name)}. Available: ${[...this.deps.formats].sort().join(", ")}`,
    );
  }

  async switchFormat(name: string | undefined): Promise<void> {
    if (name === undefined) return await this.say(this.format);
    if (!this.deps.formats.includes(name)) return await this.unknownFormat(name);
    this.format = name;
  }

  async cd(target: string | undefined): Promise<void> {
    const before = this.cwd();
    const back = target === "-";
    const next = target === undefined ? "" : back ? this.previousCwd : this.resolve(target);
    if (!this.deps.session.changeDirectory(next)) {
      return await this.complain(
        "cd: no active session; run `contree use IMAGE` first (the directory is not recorded)",
      );
    }
    this.previousCwd = before;
    if (back) await this.say(this.cwd());
  }

  async history(pattern: string | undefined): Promise<void> {
    const lines = this.deps.session.history().map((line, i) => [i + 1, line] as const);
    if (lines.length === 0) return await this.say("(no history)");
    const needle = pattern?.toLowerCase();
    const shown = needle === undefined
      ? lines
      : lines.filter(([, line]) => line.toLowerCase().includes(needle));
    if (shown.length === 0) return await this.say(`(no matches for ${pythonRepr(pattern!)})`);
    await this.deps.stdout.write(
      shown.map(([n, line]) => ` ${String(n).padStart(5)}  ${line}\n`).join(""),
    );
  }

  async help(topic: string | undefined): Promise<void> {
    if (topic === undefined) return await this.say(SHELL_HELP);
    const name = HELP_ALIASES[topic] ?? topic;
    if (name === "--format") {
      return await this.say(
        "Usage: -f [NAME] | --format [NAME]\n\nShow the output format of later lines, or " +
          `change it.\n\nFormats: ${[...this.deps.formats].sort().join(", ")}`,
      );
    }
    if (name in BUILTIN_HELP) return await this.say(BUILTIN_HELP[name]);
    await this.invoke([name, "--help"]);
  }
}

/** A read of a terminal that is gone: EIO (the tty hung up). */
function isHangUp(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === "EIO" || (error instanceof Error && /\(os error 5\)/.test(error.message));
}

/**
 * The shell's loop until Ctrl-D, `exit` or the end of the piped input; its exit status is the
 * last line's (or `exit N`'s), as sh's.
 */
export async function runShell(deps: ShellDeps): Promise<number> {
  const shell = new Shell(deps);
  const { reader } = deps;
  // Newest first, as readline recalls them.
  const history = reader.interactive ? deps.session.history().reverse() : [];
  /** The status `exit` leaves with; without one, the last line's. */
  let exit: number | undefined;
  if (reader.interactive) await shell.say(BANNER);
  for (;;) {
    if (reader.interactive) {
      await deps.stderr.write(`${shell.statusLine()}\n`);
      await Promise.all([deps.stdout.drain(), deps.stderr.drain()]);
    }
    let read;
    try {
      read = await reader.read(reader.interactive ? shell.prompt() : "", history);
    } catch (error) {
      // The terminal went away under the prompt (closed, its ssh connection dropped): the read
      // fails before SIGHUP arrives. The end is the hang-up's (129), not an I/O error (1).
      if (reader.interactive && isHangUp(error)) throw shell.ended(new Interrupted("SIGHUP"));
      throw error;
    }
    if (deps.signal?.aborted) {
      // Off the prompt's line: the reason is printed next.
      if (reader.interactive) await deps.stdout.write("\n");
      throw shell.ended(deps.signal.reason);
    }
    if (read === null) {
      if (reader.interactive) await deps.stdout.write("\n");
      break;
    }
    if (read === INTERRUPTED) {
      await deps.stdout.write("\n");
      continue;
    }
    const line = await shell.complete(read.trim(), history);
    if (!line) continue;
    const outcome = await shell.execute(line);
    // Recorded once it ran: `history` lists the lines before it (as the reference shows).
    if (reader.interactive) {
      deps.session.addHistory(line);
      history.unshift(line);
    }
    deps.afterLine?.();
    if (deps.signal?.aborted) throw shell.ended(deps.signal.reason);
    if (outcome) {
      exit = outcome.exit;
      break;
    }
  }
  await Promise.all([deps.stdout.drain(), deps.stderr.drain()]);
  return exit ?? shell.status;
}

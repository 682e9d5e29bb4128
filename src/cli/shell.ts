// `contree shell` (alias `sh`): the interactive shell (CLI spec §10). The loop, the builtins and
// completion live in src/shell; this file wires them to the App: the session store of the
// shell's session, the API for completion, and `invoke`, which runs each `contree …` line
// (and each implicit run) through a fresh command tree in this process.

import { LineEndSink, MemorySource } from "../io.ts";
import type { Context } from "../context.ts";
import { ContreeError } from "../errors.ts";
import { FORMAT_NAMES } from "../output/formatter.ts";
import type { CompletionPort } from "../shell/complete.ts";
import type { ShellSession } from "../shell/repl.ts";
import { streamMode, Styler } from "../style.ts";
import type { App } from "./app.ts";
import { subcommand } from "./help.ts";
import type { Invoke, RootCommand, Runner } from "./root.ts";

/** The global options every line runs with: the shell's own, fixed for its lifetime. */
function pinnedGlobals(app: App, sessionKey: string): string[] {
  const globals = app.globals;
  const args = ["-p", app.profileName(), "-S", sessionKey, "-L", globals.logLevel];
  if (globals.token) args.push("--token", globals.token);
  if (globals.url) args.push("-u", globals.url);
  if (globals.project) args.push("-P", globals.project);
  if (globals.config) args.push("-c", globals.config);
  return args;
}

async function startShell(app: App, program: RootCommand, invoke: Invoke): Promise<number> {
  // As the reference: the shell needs a usable profile from the start.
  app.profile();
  const [{ runShell }, { pipedReader, terminalReader }, { ShellCompleter }, { commandModel }] =
    await Promise.all([
      import("../shell/repl.ts"),
      import("../shell/reader.ts"),
      import("../shell/complete.ts"),
      import("../completion/model.ts"),
    ]);
  const ctx = app.ctx;
  const store = await app.store();
  const key = await app.sessionKey();
  const interactive = ctx.stdin.isTerminal;

  const session: ShellSession = {
    key,
    state() {
      const tip = store.tip(key);
      if (!tip) return undefined;
      return {
        branch: store.activeBranch(key),
        image: tip.image,
        depth: store.ancestry(key).length,
      };
    },
    cwd: () => store.cwd(key),
    changeDirectory(path) {
      if (!store.tip(key)) return false;
      store.changeDirectory(key, path);
      return true;
    },
    hasPendingFiles: () => store.pendingFiles(key).length > 0,
    history: () => store.shellHistory(key),
    addHistory: (line) => store.addShellHistory(key, line),
  };

  // Each line reads the config afresh, so completion asks the server the lines talk to: after a
  // local server restarted on another port, or `auth` in the shell, the new one.
  const startProfile = app.profile();
  let completion = { server: `${startProfile.url}\0${startProfile.token}`, client: app.client() };
  const client = async () => {
    const profile = await app.currentProfile();
    const server = `${profile.url}\0${profile.token}`;
    if (server !== completion.server) {
      completion = { server, client: app.clientFor(profile) };
      completer.invalidate();
    }
    return completion.client;
  };
  const port: CompletionPort = {
    images: async () =>
      (await (await client()).listImages({ limit: 100 })).map((image) => ({
        uuid: image.uuid,
        tag: image.tag,
      })),
    operations: async () =>
      (await (await client()).listOperations({ limit: 100 })).map((operation) => operation.uuid),
    image: () => store.tip(key)?.image,
    listSandbox: async (image, dir) =>
      (await (await client()).listDirectory(image, dir, { maxRetries: 0 })).files ?? [],
    cwd: session.cwd,
    branches: () => store.branches(key).map((branch) => branch.name),
    sessions: () => store.sessions().map((summary) => summary.sessionKey),
    profiles: () => app.config.names(),
    envKeys: () => Object.keys(store.env(key)),
    hostCwd: ctx.cwd,
    home: ctx.home,
    now: () => ctx.clock.now(),
  };
  const completer = new ShellCompleter(commandModel(program), port, FORMAT_NAMES);
  const snapshot = () => {
    const state = session.state();
    return `${state?.image}\0${state?.branch}`;
  };
  let seen = snapshot();

  const globals = pinnedGlobals(app, key);
  // A piped script is the shell's input, never a command's stdin.
  const lineStdin = interactive ? ctx.stdin : new MemorySource();
  return await runShell({
    stdout: ctx.stdout,
    stderr: ctx.stderr,
    reader: interactive
      ? terminalReader({
        completer: (line) => completer.complete(line),
        toStderr: !ctx.stdout.isTerminal,
        signal: ctx.signal,
      })
      : pipedReader(ctx.stdin.readable(), { signal: ctx.signal }),
    signal: ctx.signal,
    session,
    async invoke(args, format) {
      // Ctrl-C while a line runs cancels that line only; the shell goes on.
      const scope = ctx.interruptScope?.();
      // At the terminal, output that does not end its line is ended before the status line.
      const stdout = new LineEndSink(ctx.stdout);
      const stderr = new LineEndSink(ctx.stderr);
      const lineCtx: Context = {
        ...ctx,
        ...(interactive ? { stdout, stderr } : {}),
        signal: scope?.signal ?? ctx.signal,
        stdin: lineStdin,
        inShell: true,
      };
      try {
        return await invoke([...globals, "-f", format, ...args], lineCtx);
      } finally {
        scope?.close();
        await stdout.endLine();
        await stderr.endLine();
      }
    },
    commandOf: (word) => subcommand(program, word)?.name(),
    formats: FORMAT_NAMES,
    format: app.globals.format,
    styles: {
      stdout: new Styler(streamMode(ctx.stdout.isTerminal, ctx.env).color),
      stderr: new Styler(streamMode(ctx.stderr.isTerminal, ctx.env).color),
    },
    afterLine() {
      const now = snapshot();
      if (now !== seen) completer.invalidate();
      seen = now;
      // A line may have changed the profile (`auth`): cached completions of another server go.
      client().catch(() => {});
    },
  });
}

export function registerShell(program: RootCommand, run: Runner, invoke?: Invoke): void {
  program
    .command("shell")
    .alias("sh")
    .description(
      "an interactive shell on the session: bare lines run in the sandbox, `contree …` runs " +
        "commands",
    )
    .addHelpText(
      "after",
      "\nInside the shell, `help` lists the builtins (cd, pwd, history, -f, timeout, …).",
    )
    .action(() =>
      run((app) => {
        if (!invoke) throw new ContreeError("contree shell cannot run here");
        return startShell(app, program, invoke);
      })
    );
}

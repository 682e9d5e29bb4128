// The shell's dispatch with a scripted reader, a fake session and a recorded `invoke`: which
// lines become which contree commands, the builtins' output, the prompt and the status line,
// continuation, Ctrl-C and the end of input (CLI spec §10).

import { Exit, Interrupted } from "../../src/errors.ts";
import { MemorySink } from "../../src/io.ts";
import { INTERRUPTED, type LineReader } from "../../src/shell/reader.ts";
import { BANNER, runShell, type ShellDeps, type ShellSession } from "../../src/shell/repl.ts";
import { Styler } from "../../src/style.ts";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../support/assert.ts";

type Input = string | null | typeof INTERRUPTED;

interface Run {
  /** What runShell returned: the shell's exit status. */
  code: number;
  stdout: string;
  stderr: string;
  invoked: { args: string[]; format: string }[];
  prompts: string[];
  session: FakeSession;
}

class FakeSession implements ShellSession {
  key = "k1";
  image = "img-1";
  branch = "main";
  depth = 2;
  directory = "/";
  pending = false;
  lines: string[] = ["old line", "echo before"];
  cds: string[] = [];
  active = true;

  state() {
    return this.active ? { branch: this.branch, image: this.image, depth: this.depth } : undefined;
  }
  cwd() {
    return this.directory;
  }
  changeDirectory(path: string) {
    if (!this.active) return false;
    this.cds.push(path);
    this.directory = path || "/";
    return true;
  }
  hasPendingFiles() {
    return this.pending;
  }
  history() {
    return [...this.lines];
  }
  addHistory(line: string) {
    this.lines.push(line);
  }
}

async function shell(
  inputs: Input[],
  options: {
    interactive?: boolean;
    session?: FakeSession;
    color?: boolean;
    /** The exit code of an invoked command line (0 when absent). */
    codeOf?: (args: string[]) => number;
  } = {},
): Promise<Run> {
  const stdout = new MemorySink();
  const stderr = new MemorySink();
  const session = options.session ?? new FakeSession();
  const prompts: string[] = [];
  const histories: (readonly string[])[] = [];
  const queue = [...inputs];
  const reader: LineReader = {
    interactive: options.interactive ?? true,
    read(prompt, history) {
      prompts.push(prompt);
      histories.push([...history]);
      return Promise.resolve(queue.length ? queue.shift()! : null);
    },
  };
  const invoked: Run["invoked"] = [];
  const deps: ShellDeps = {
    stdout,
    stderr,
    reader,
    session,
    invoke: (args, format) => {
      invoked.push({ args, format });
      return Promise.resolve(options.codeOf?.(args) ?? 0);
    },
    commandOf: (word) =>
      ({ sh: "shell", shell: "shell", s: "session", session: "session", ps: "ps" })[word],
    formats: ["default", "json", "table"],
    format: "default",
    styles: {
      stdout: new Styler(options.color ?? false),
      stderr: new Styler(options.color ?? false),
    },
  };
  const code = await runShell(deps);
  return { code, stdout: stdout.text(), stderr: stderr.text(), invoked, prompts, session };
}

Deno.test("shell: banner, a status line before every prompt, the prompt with branch and cwd", async () => {
  const run = await shell(["pwd"]);
  assertEquals(run.stdout, `${BANNER}\n/\n\n`);
  assertEquals(run.stderr, "session: k1 [2] image: img-1\n".repeat(2));
  assertEquals(run.prompts, ["(main) / $ ", "(main) / $ "]);
});

Deno.test("shell: colours on a terminal; no session gives no branch and no image", async () => {
  const colored = await shell([], { color: true });
  assertEquals(colored.prompts[0], "\x1b[35m(main)\x1b[39m \x1b[34m\x1b[1m/\x1b[22m\x1b[39m $ ");
  assertStringIncludes(colored.stderr, "\x1b[33mk1\x1b[39m \x1b[36m[2]\x1b[39m");
  const session = new FakeSession();
  session.active = false;
  const none = await shell([], { session });
  assertEquals(none.prompts, ["/ $ "]);
  assertEquals(none.stderr, "session: k1 [0] image: (none: contree use IMAGE)\n");
});

Deno.test("shell: a bare line is one shell expression for run, in the cwd; timeout sets -t", async () => {
  const session = new FakeSession();
  session.directory = "/src";
  const run = await shell([
    `  make test | tee "log file" && echo 'ok'  `,
    "timeout 5m  make   build",
    "timeout --kill-after=5 30 sleep 60",
  ], { session });
  assertEquals(run.invoked, [
    {
      args: ["run", "-s", "-C", "/src", "--", `make test | tee "log file" && echo 'ok'`],
      format: "default",
    },
    { args: ["run", "-s", "-t", "300", "-C", "/src", "--", "make   build"], format: "default" },
    {
      args: ["run", "-s", "-C", "/src", "--", "timeout --kill-after=5 30 sleep 60"],
      format: "default",
    },
  ]);
});

Deno.test("shell: ls and cat through the inspection commands, unless the sandbox must run them", async () => {
  const session = new FakeSession();
  session.directory = "/work";
  const run = await shell(["ls", "ls sub", "cat ../etc/hosts", "ls -la", "cat *.txt", "cat a b"], {
    session,
  });
  assertEquals(run.invoked.map((i) => i.args), [
    ["ls"],
    ["ls", "/work/sub"],
    ["cat", "/etc/hosts"],
    ["run", "-s", "-C", "/work", "--", "ls -la"],
    ["run", "-s", "-C", "/work", "--", "cat *.txt"],
    ["run", "-s", "-C", "/work", "--", "cat a b"],
  ]);
  // sh's syntax is for sh: a pipe or redirection on the word, $ and ~ (were paths to contree cat).
  const syntax = [
    "cat /etc/passwd>/tmp/x",
    "cat /etc/hostname|wc",
    "ls /bin>o",
    "cat <f",
    "cat $HOME/f",
    "cat ~/f",
    "ls `pwd`",
  ];
  const sandboxed = await shell(syntax, { session });
  assertEquals(
    sandboxed.invoked.map((i) => i.args),
    syntax.map((line) => ["run", "-s", "-C", "/work", "--", line]),
  );
  session.pending = true;
  const staged = await shell(["cat f"], { session });
  assertEquals(staged.invoked.map((i) => i.args), [["run", "-s", "-C", "/work", "--", "cat f"]]);
});

Deno.test("shell: editors open file edit on the resolved path", async () => {
  const session = new FakeSession();
  session.directory = "/app";
  const run = await shell(["vim main.py", "nano /etc/motd", "vi"], { session });
  assertEquals(run.invoked.map((i) => i.args), [
    ["file", "edit", "--editor", "vim", "/app/main.py"],
    ["file", "edit", "--editor", "nano", "/etc/motd"],
  ]);
  assertMatch(run.stderr, /^Usage: vi <path>$/m);
});

Deno.test("shell: contree COMMAND through the tree; only -f before it; contree shell refused", async () => {
  const run = await shell([
    "contree session show",
    "contree -f json ps -a",
    "contree --format=table ps",
    "contree -p other ps",
    "contree -f yaml ps",
    "contree sh",
    "contree",
    "contree --help",
  ]);
  assertEquals(run.invoked, [
    { args: ["session", "show"], format: "default" },
    { args: ["ps", "-a"], format: "json" },
    { args: ["ps"], format: "table" },
    { args: ["--help"], format: "default" },
  ]);
  assertMatch(run.stderr, /^-p: only -f\/--format may come before the command in the shell/m);
  assertMatch(run.stderr, /^Unknown format 'yaml'\. Available: default, json, table$/m);
  assertMatch(run.stderr, /^contree shell cannot be run inside the shell$/m);
  assertMatch(run.stdout, /^contree interactive shell\n\n {2}A line that is not a builtin/m);
});

Deno.test("shell: -f shows and switches the format of later lines", async () => {
  const run = await shell(["-f", "--format json", "contree ps", "echo x", "-f nope", "-f"]);
  assertEquals(run.invoked.map((i) => i.format), ["json", "json"]);
  assertEquals(run.stdout.split("\n").slice(1, 3), ["default", "json"]);
  assertMatch(run.stderr, /Unknown format 'nope'/);
});

Deno.test("shell: cd records an entry (no check), cd - goes back and prints it, bare cd is /", async () => {
  const run = await shell(["cd /usr", "cd lib", "cd -", "cd", "pwd"]);
  assertEquals(run.session.cds, ["/usr", "/usr/lib", "/usr", ""]);
  assertEquals(run.stdout, `${BANNER}\n/usr\n/\n\n`);
  assertEquals(run.prompts.slice(0, 3), ["(main) / $ ", "(main) /usr $ ", "(main) /usr/lib $ "]);
  assertEquals(run.invoked, []);
  const session = new FakeSession();
  session.active = false;
  const none = await shell(["cd /x"], { session });
  assertMatch(none.stderr, /^cd: no active session; run `contree use IMAGE` first/m);
});

Deno.test("shell: history numbers this session's lines; PATTERN filters without case", async () => {
  const run = await shell(["history", "history ECHO", "history zzz"]);
  assertEquals(
    run.stdout,
    `${BANNER}\n` +
      "     1  old line\n     2  echo before\n" +
      "     2  echo before\n" +
      "(no matches for 'zzz')\n\n",
  );
  assertEquals(run.session.lines.slice(2), ["history", "history ECHO", "history zzz"]);
  const empty = new FakeSession();
  empty.lines = [];
  const piped = await shell(["history"], { interactive: false, session: empty });
  assertEquals(piped.stdout, "(no history)\n");
});

Deno.test("shell: readline gets the history newest first, with each new line", async () => {
  const prompts: (readonly string[])[] = [];
  const session = new FakeSession();
  const queue: Input[] = ["pwd", "clear"];
  await runShell({
    stdout: new MemorySink(),
    stderr: new MemorySink(),
    reader: {
      interactive: true,
      read: (_prompt, history) => {
        prompts.push([...history]);
        return Promise.resolve(queue.length ? queue.shift()! : null);
      },
    },
    session,
    invoke: () => Promise.resolve(0),
    commandOf: () => undefined,
    formats: ["default"],
    format: "default",
    styles: { stdout: new Styler(false), stderr: new Styler(false) },
  });
  assertEquals(prompts, [
    ["echo before", "old line"],
    ["pwd", "echo before", "old line"],
    ["clear", "pwd", "echo before", "old line"],
  ]);
});

Deno.test("shell: a trailing backslash or an open quote reads on with `> `", async () => {
  const run = await shell(["echo 'a", "b'", "ls \\", "-la \\", "/sys", "echo 'x", INTERRUPTED]);
  assertEquals(run.invoked.map((i) => i.args.at(-1)), ["echo 'a\nb'", "ls -la /sys"]);
  assertEquals(run.prompts, [
    "(main) / $ ",
    "> ",
    "(main) / $ ",
    "> ",
    "> ",
    "(main) / $ ",
    "> ",
    "(main) / $ ",
  ]);
  assertEquals(run.session.lines.slice(2), ["echo 'a\nb'", "ls -la /sys"]);
});

Deno.test("shell: Ctrl-C at the prompt is a new line; Ctrl-D, exit and quit leave", async () => {
  const run = await shell([INTERRUPTED, "exit", "pwd"]);
  assertEquals(run.stdout, `${BANNER}\n\n`);
  assertEquals(run.invoked, []);
  assertEquals((await shell(["quit", "pwd"])).stdout, `${BANNER}\n`);
  assertEquals((await shell([null, "pwd"])).stdout, `${BANNER}\n\n`);
});

Deno.test("shell on a pipe: no banner, status lines or prompts; lines are not history", async () => {
  const run = await shell(["pwd", "echo hi", "echo 'open"], { interactive: false });
  assertEquals(run.stdout, "/\n");
  assertEquals(run.stderr, "Parse error: No closing quotation\n");
  assert(run.prompts.every((p) => p === ""), JSON.stringify(run.prompts));
  assertEquals(run.session.lines, ["old line", "echo before"]);
  assertEquals(run.invoked.map((i) => i.args.at(-1)), ["echo hi"]);
});

Deno.test("shell help: builtins here, anything else from contree TOPIC --help", async () => {
  const run = await shell(["help", "help cd", "help quit", "help -f", "help vi", "help run"]);
  assertMatch(run.stdout, /^Builtins:$/m);
  assertMatch(run.stdout, /^Usage: cd \[PATH\]$/m);
  assertMatch(run.stdout, /^Usage: exit \[N\] \| quit \[N\]$/m);
  assertMatch(run.stdout, /^Formats: default, json, table$/m);
  assertMatch(run.stdout, /^Usage: vim PATH$/m);
  assertEquals(run.invoked.map((i) => i.args), [["run", "--help"]]);
});

/**
 * A shell whose first line's command aborts the process's signal with `reason` and exits
 * `lineCode`; what the shell ended with, and how many lines it read.
 */
async function signalledShell(
  reason: unknown,
  lineCode: number,
): Promise<{ error: unknown; reads: number }> {
  const controller = new AbortController();
  let reads = 0;
  const error = await endedShell(controller, {
    reader: {
      interactive: false,
      read: () => Promise.resolve(++reads === 1 ? "echo a" : "echo b"),
    },
    invoke: () => {
      controller.abort(reason);
      return Promise.resolve(lineCode);
    },
  });
  return { error, reads };
}

/** What a shell with `parts` and `controller`'s signal ended with (undefined when it returned). */
function endedShell(
  controller: AbortController,
  parts: Pick<ShellDeps, "reader" | "invoke"> & { stdout?: MemorySink },
): Promise<unknown> {
  return runShell({
    stdout: parts.stdout ?? new MemorySink(),
    stderr: new MemorySink(),
    reader: parts.reader,
    session: new FakeSession(),
    invoke: parts.invoke,
    commandOf: () => undefined,
    formats: ["default"],
    format: "default",
    styles: { stdout: new Styler(false), stderr: new Styler(false) },
    signal: controller.signal,
  }).then(() => undefined, (e) => e);
}

Deno.test("shell: once the process's signal aborts (SIGTERM), the shell ends with its reason", async () => {
  const reason = new Error("terminated");
  const { error, reads } = await signalledShell(reason, 143);
  assertEquals([error, reads], [reason, 1]);
});

Deno.test("shell: a line that reported the signal itself ends the shell quietly, with its code", async () => {
  // The line's command printed "Terminated" and exited 143; the shell must not say it again.
  const reason = new Interrupted("SIGTERM");
  const quiet = (await signalledShell(reason, 143)).error;
  assert(quiet instanceof Exit && quiet.exitCode === 143, String(quiet));
  // A line that ended on its own before the signal said nothing: the shell says it.
  assertEquals((await signalledShell(reason, 0)).error, reason);
});

Deno.test("shell: SIGTERM at the prompt leaves the prompt's line before its reason is printed", async () => {
  const controller = new AbortController();
  const stdout = new MemorySink();
  const error = await endedShell(controller, {
    stdout,
    reader: {
      interactive: true,
      read: () => {
        controller.abort(new Interrupted("SIGTERM"));
        return Promise.resolve(null);
      },
    },
    invoke: () => Promise.resolve(0),
  });
  assert(error instanceof Interrupted);
  // Was "(main) / $ [ERROR] Terminated": the prompt's line, then the reason.
  assertEquals(stdout.text(), `${BANNER}\n\n`);
});

Deno.test("shell exit status: the last line's, or exit N's, as sh (a piped script that failed exited 0)", async () => {
  const failing = (args: string[]) => (args.at(-1) === "false" ? 1 : args.at(-1) === "die" ? 5 : 0);
  const piped = (inputs: Input[]) => shell(inputs, { interactive: false, codeOf: failing });
  assertEquals((await piped(["echo ok"])).code, 0);
  assertEquals((await piped(["echo ok", "false"])).code, 1);
  assertEquals((await piped(["false", "echo ok"])).code, 0, "the last line's, not the worst");
  assertEquals((await piped(["die", "exit"])).code, 5, "exit alone keeps the last status");
  assertEquals((await piped(["exit 3", "die"])).code, 3, "the lines after exit do not run");
  assertEquals((await piped(["exit 300"])).code, 44);
  const word = await piped(["exit soon"]);
  assertEquals([word.code, word.stderr], [2, "exit: soon: numeric argument required\n"]);
  assertEquals((await piped(['echo "open'])).code, 2, "a parse error, as sh's syntax error");
  assertEquals((await piped(["vim"])).code, 1, "a builtin's refusal");
  assertEquals((await piped(["false", "pwd"])).code, 0, "a builtin that works is 0");
  // A comment runs nothing and keeps the status, as in sh (it was a run in the sandbox, which
  // reset it to 0); a quote in it opens no continuation.
  const commented = await piped(["false", "# it's a comment"]);
  assertEquals([commented.code, commented.invoked.length], [1, 1]);
  // At the terminal too: Ctrl-D leaves with the last line's status.
  assertEquals((await shell(["false", null], { codeOf: failing })).code, 1);
  assertEquals((await shell(["false", "quit 0"], { codeOf: failing })).code, 0);
});

Deno.test("shell: a terminal gone under the prompt (EIO) ends as a hang-up, 129, not an I/O error", async () => {
  const stdout = new MemorySink();
  const stderr = new MemorySink();
  const eio = Object.assign(new Error("Input/output error (os error 5)"), { code: "EIO" });
  const deps: ShellDeps = {
    stdout,
    stderr,
    reader: { interactive: true, read: () => Promise.reject(eio) },
    session: new FakeSession(),
    invoke: () => Promise.resolve(0),
    commandOf: () => undefined,
    formats: ["default"],
    format: "default",
    styles: { stdout: new Styler(false), stderr: new Styler(false) },
  };
  const error = await runShell(deps).then(() => undefined, (caught) => caught);
  assert(error instanceof Interrupted, String(error));
  assertEquals([error.signal, error.exitCode], ["SIGHUP", 129]);
  // A piped script's read error is its own.
  const piped = await runShell({
    ...deps,
    reader: { interactive: false, read: () => Promise.reject(eio) },
  })
    .then(() => undefined, (caught) => caught);
  assertEquals(piped, eio);
});

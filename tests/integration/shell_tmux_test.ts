// `contree shell` in a real terminal (tmux) against the local server on podman: the banner,
// status line and prompt, the implicit run with live output, Ctrl-C, cd/pwd and the prompt,
// ls/cat relative to the cwd through the inspection API, a file made by one line seen by the
// next, completion of a sandbox path and of a command, history and its recall after a restart,
// Ctrl-D; and the same shell reading a script from a pipe, without prompts.

import { DatabaseSync } from "node:sqlite";
import { COMPILE_PERMISSIONS } from "../../scripts/permissions.ts";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../support/assert.ts";
import { apiEnv, isolatedEnv, MAIN, runCli, tempHome } from "../support/cli.ts";
import { FaultProxy, PASS } from "../support/fault_proxy.ts";
import { podmanSkipReason, podmanTest } from "../support/podman.ts";
import { startTestServer } from "../support/server.ts";
import { Terminal, tmuxInstalled } from "../support/tmux.ts";

const SHELL = [Deno.execPath(), "run", ...COMPILE_PERMISSIONS, "--quiet", MAIN, "shell"];

/** Lines of the screen that are status lines, in order. */
function statusLines(screen: string): string[] {
  return screen.split("\n").filter((line) => line.startsWith("session: "));
}

/** Waits for the prompt in `cwd`, then types `text` and Enter. */
async function enter(term: Terminal, cwd: string, text: string): Promise<void> {
  await term.waitForInput(`(main) ${cwd} $ `);
  await term.type(text);
  await term.keys("Enter");
}

/** The number of status lines (one before every prompt). */
function prompts(screen: string): number {
  return statusLines(screen).length;
}

const skipTmux = !tmuxInstalled();
if (skipTmux && !podmanSkipReason) console.log("SKIP: shell terminal tests: tmux not installed");

(skipTmux ? Deno.test.ignore : podmanTest)("contree shell against the local server", async (t) => {
  const server = await startTestServer({ busybox: true });
  const { home, cleanup } = await tempHome();
  const env = apiEnv(server, home, "tmux");
  const terminals: Terminal[] = [];
  const withDatabase = <T>(body: (db: DatabaseSync) => T): T => {
    const db = new DatabaseSync(`${home}/cli/sessions/default.db`);
    try {
      return body(db);
    } finally {
      db.close();
    }
  };
  const shellHistory = () =>
    withDatabase((db) =>
      (db.prepare("SELECT line FROM shell_history WHERE session_key = 'tmux' ORDER BY id")
        .all() as { line: string }[]).map((row) => row.line)
    );
  const open = async (colours = false) => {
    const terminal = await Terminal.start(
      SHELL,
      isolatedEnv({ ...env, TERM: "xterm-256color", ...(colours ? { NO_COLOR: "" } : {}) }),
    );
    terminals.push(terminal);
    return terminal;
  };
  try {
    assertEquals((await runCli(["use", server.busybox], { env })).code, 0);
    const image = new RegExp(`^session: tmux \\[1\\] image: ${server.busybox}$`, "m");

    await t.step("a session in a terminal: prompt, runs, cd, inspection, completion", async () => {
      const term = await open();
      let screen = await term.waitForInput("(main) / $ ");
      assert(screen.startsWith("contree interactive shell (type 'help' for commands"), screen);
      assertMatch(screen, image);

      // Implicit run with live output: "one" shows while the command still runs. The first
      // Ctrl-C goes to the sandbox's processes (this line's sh outlives it); the second cancels
      // the line and the shell goes on.
      await enter(term, "/", "echo one; sleep 120; echo two");
      screen = await term.waitFor(/^one$/m);
      assertEquals(prompts(screen), 1, "the run has not finished");
      await term.keys("C-c");
      screen = await term.waitFor("(Ctrl-C again to force-cancel)");
      assertEquals(prompts(screen), 1, "SIGINT does not end the line");
      await term.keys("C-c");
      screen = await term.waitForInput("(main) / $ ");
      assertEquals(prompts(screen), 2);
      assertMatch(screen, /User interrupted/);
      assert(!/^two$/m.test(screen), screen);

      // A file made by one line is seen by the next; the session advances with each run.
      await enter(term, "/", "mkdir -p /work/sub && echo made > /work/sub/f.txt");
      screen = await term.waitFor((s) => prompts(s) === 3);
      assertMatch(statusLines(screen)[2], /^session: tmux \[2\] image: (?!.*busybox)/);

      await enter(term, "/", "cd /work");
      await enter(term, "/work", "pwd");
      screen = await term.waitFor((s) => prompts(s) === 5);
      assertMatch(screen, /\$ pwd\n\/work\n/);
      const depth = statusLines(screen)[4].match(/\[(\d+)\]/)![1];
      assertEquals(depth, "3", "cd is an entry of the session");

      // ls and cat relative to the cwd, through the inspection API: the session stays put.
      await enter(term, "/work", "ls sub");
      screen = await term.waitFor((s) => prompts(s) === 6);
      assertMatch(screen, /\$ ls sub\n.* f\.txt\n/);

      // Completion of a sandbox path, then cat through it.
      await term.waitForInput("(main) /work $ ");
      await term.type("cat sub/f");
      await term.keys("Tab");
      await term.waitForInput("(main) /work $ cat sub/f.txt ");
      await term.keys("Enter");
      screen = await term.waitFor((s) => prompts(s) === 7);
      assertMatch(screen, /\$ cat sub\/f\.txt \nmade\n/);
      for (const line of statusLines(screen).slice(4)) assertMatch(line, /\[3\]/);

      // Completion of a command, and of a subcommand's choices.
      await term.waitForInput("(main) /work $ ");
      await term.type("contree ses");
      await term.keys("Tab");
      await term.waitForInput("(main) /work $ contree session ");
      await term.type("bra");
      await term.keys("Tab");
      await term.waitForInput("(main) /work $ contree session branch ");
      await term.keys("Enter");
      screen = await term.waitFor((s) => prompts(s) === 8);
      assertMatch(screen, /\$ contree session branch \n(?:.*\n)?\*\s+main\s*\n/);

      await enter(term, "/work", "history echo");
      screen = await term.waitFor((s) => prompts(s) === 9);
      assertMatch(
        screen,
        /\$ history echo\n {5}1 {2}echo one; sleep 120; echo two\n {5}2 {2}mkdir -p/,
      );

      // Ctrl-C at the prompt drops the line and gives a new prompt.
      await term.waitForInput("(main) /work $ ");
      await term.type("echo abandoned");
      await term.keys("C-c");
      screen = await term.waitFor((s) => prompts(s) === 10);
      assert(!/^abandoned$/m.test(screen), screen);
      await term.waitForInput("(main) /work $ ");
      await term.keys("C-d");
      assertEquals(await term.exited(), 0);
      // The lines are in the session database, where the reference CLI reads them.
      assertEquals(shellHistory().slice(-2), ["contree session branch", "history echo"]);
      // And a line the reference wrote (no created_at) is recalled by the next shell.
      withDatabase((db) =>
        db.prepare("INSERT INTO shell_history (session_key, line) VALUES (?, ?)")
          .run("tmux", "echo from the reference")
      );
    });

    await t.step(
      "history outlives the shell: Up recalls the last line of the last one",
      async () => {
        // With colours: readline must not count the escape sequences as prompt width (the
        // cursor checks below would be off).
        const term = await open(true);
        await term.waitForInput("(main) /work $ ");
        assertStringIncludes(await term.colouredScreen(), "\x1b[35m(main)");
        await term.keys("Up");
        await term.waitForInput("(main) /work $ echo from the reference");
        await term.keys("Up");
        await term.waitForInput("(main) /work $ history echo");
        await term.keys("Up", "Up");
        await term.waitForInput("(main) /work $ cat sub/f.txt");
        // Ctrl-Z at the prompt changes nothing: line editing goes on (it left the terminal
        // cooked, and what was typed next joined the old line).
        await term.keys("C-z");
        await term.type("x");
        await term.keys("C-u"); // readline's kill-line: the whole line goes, as in raw mode
        await term.waitForInput("(main) /work $ ");
        await term.type("echo after-z");
        await term.keys("Enter");
        const screen = await term.waitFor(/^after-z$/m);
        assert(!screen.includes("cat sub/f.txtecho"), screen);
        await term.waitForInput("(main) /work $ ");
        await term.type("exit");
        await term.keys("Enter");
        assertEquals(await term.exited(), 0);
        assertEquals(shellHistory().slice(-3), ["echo from the reference", "echo after-z", "exit"]);
      },
    );

    await t.step(
      "a paste of several lines runs each once, in order; the rest is typed",
      async () => {
        const term = await open();
        await term.waitForInput("(main) /work $ ");
        // Was: the first line ran and the others were lost with the interface it closed.
        await term.paste(
          "echo pasted-1\ncd /tmp\npwd\necho 'two\nlines'\nprintf no-newline\ncd /work\n" +
            "echo unfinished",
        );
        const screen = await term.waitForInput("(main) /work $ echo unfinished");
        const output = screen.split("\n").filter((line) =>
          ["pasted-1", "/tmp", "two", "lines", "no-newline"].includes(line)
        );
        // Output that does not end its line is ended before the status line (it was joined).
        assertEquals(output, ["pasted-1", "/tmp", "two", "lines", "no-newline"], screen);
        assert(!screen.includes("unfinishedpasted-1"), screen);
        await term.keys("C-u");
        await term.waitForInput("(main) /work $ ");
        await term.keys("C-d");
        assertEquals(await term.exited(), 0);
        assertEquals(shellHistory().slice(-6), [
          "echo pasted-1",
          "cd /tmp",
          "pwd",
          "echo 'two\nlines'",
          "printf no-newline",
          "cd /work",
        ]);
      },
    );

    await t.step(
      "Ctrl-C abandons the line whatever comes with it; a completion that hangs lets go",
      async () => {
        // Completion asks a server that never answers its listings.
        let listingAsked: () => void;
        const asked = new Promise<void>((resolve) => (listingAsked = resolve));
        const proxy = new FaultProxy({ hostname: "127.0.0.1", port: server.server.port }, (r) => {
          if (!r.path.includes("/inspect/")) return PASS;
          listingAsked();
          return { hang: true };
        });
        try {
          const term = await Terminal.start(
            SHELL,
            isolatedEnv({ ...env, CONTREE_URL: proxy.url, TERM: "xterm-256color" }),
          );
          terminals.push(term);
          await term.waitForInput("(main) /work $ ");
          // Ctrl-C and the next keys in one read (a laggy link, keys held back). Was: they
          // were typed onto the abandoned line, and `echo abandonedecho kept` ran.
          await term.type("echo abandoned");
          await term.keys("C-c", "e", "c", "h", "o", "Space", "k", "e", "p", "t", "Enter");
          let screen = await term.waitFor(/^kept$/m);
          // What runs is shown on a prompt of its own before it runs.
          assertMatch(screen, /^\(main\) \/work \$ echo kept\nkept$/m);
          await term.waitForInput("(main) /work $ ");
          await term.type("cat /u");
          await term.keys("Tab");
          await asked;
          // Keys are dropped while a completion is pending: one appears once it lets go. Was:
          // the shell kept the keyboard for as long as the server kept the request.
          await term.waitFor(async () => {
            await term.type("x");
            return (await term.beforeCursor()).endsWith("x");
          }, "the keyboard back");
          await term.keys("C-u");
          await term.type("echo alive");
          await term.keys("Enter");
          screen = await term.waitFor(/^alive$/m);
          await term.waitForInput("(main) /work $ ");
          await term.keys("C-d");
          assertEquals(await term.exited(), 0);
        } finally {
          await proxy.close();
        }
      },
    );

    await t.step("a script on a pipe: the lines run, errors are told, no prompts", async () => {
      const result = await runCli(["shell"], {
        env,
        stdin: "echo hi\ncat /missing\ncd /work/sub\npwd\ncat f.txt\ncontree shell\n" +
          "contree -f json use\nexit\necho never\n",
      });
      assertEquals(result.code, 0, result.stderr);
      const [hi, cwd, made, use] = result.stdout.split("\n");
      assertEquals([hi, cwd, made], ["hi", "/work/sub", "made"]);
      assertEquals(JSON.parse(use).session_key, "tmux");
      assertEquals(result.stdout.split("\n").length, 5, result.stdout);
      assertEquals(
        result.stderr,
        "[ERROR] API 404 Not Found: no such file: /missing\n" +
          "contree shell cannot be run inside the shell\n",
      );
    });
  } finally {
    for (const terminal of terminals) await terminal.close();
    await cleanup();
    await server.cleanup();
  }
});

// A terminal that goes away (closed, its ssh connection dropped: SIGHUP) while `run` follows an
// operation, or while a shell line runs one: the operation is cancelled, as for SIGTERM, not
// left running on the server with nothing to record it. A real terminal (tmux) and the fake.

import { COMPILE_PERMISSIONS } from "../../scripts/permissions.ts";
import { assertEquals } from "../support/assert.ts";
import { isolatedEnv, MAIN, tempHome } from "../support/cli.ts";
import { FakeApi } from "../support/fake_api.ts";
import { FakeSandbox, type Program, textChunks } from "../support/fake_sandbox.ts";
import { Terminal, tmuxInstalled } from "../support/tmux.ts";

const IMAGE = "11111111-2222-3333-4444-555555555555";
const HELD: Program = {
  script: "echo before; sleep 600",
  chunks: textChunks(["stdout", "before\n"], ["stdout", "after\n"]),
  exit: 0,
  holdAfter: 1,
};
const CONTREE = [Deno.execPath(), "run", ...COMPILE_PERMISSIONS, "--quiet", MAIN];

/** Polls `done` (the fake's state) until it holds, for at most 30 s. */
async function eventually(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const CASES: [string, string[], string | undefined][] = [
  ["run", [...CONTREE, "run", "-D", "--use", IMAGE, "--", "sh", "-c", HELD.script], undefined],
  ["a shell line", [...CONTREE, "shell"], HELD.script],
];

for (const [name, argv, line] of CASES) {
  (tmuxInstalled() ? Deno.test : Deno.test.ignore)(
    `SIGHUP (the terminal closed) while ${name} follows an operation cancels it`,
    async () => {
      const fake = FakeApi.start();
      const sandbox = new FakeSandbox(fake).program(HELD);
      const { home, cleanup } = await tempHome();
      const env = {
        CONTREE_HOME: home,
        CONTREE_URL: fake.url,
        CONTREE_TOKEN: fake.token,
        CONTREE_SESSION: "hup",
        TERM: "xterm-256color",
      };
      let term: Terminal | undefined;
      try {
        if (line) {
          const used = await new Deno.Command(Deno.execPath(), {
            args: [...CONTREE.slice(1), "use", IMAGE],
            env: isolatedEnv(env),
            clearEnv: true,
            stdout: "null",
            stderr: "null",
          }).output();
          assertEquals(used.code, 0);
        }
        term = await Terminal.start(argv, isolatedEnv(env));
        if (line) {
          await term.waitForInput("(main) / $ ");
          await term.type(line);
          await term.keys("Enter");
        }
        await term.waitFor(/^before$/m);
        const [uuid] = [...sandbox.ops.keys()];
        await term.close(); // the terminal goes: SIGHUP to what runs in it
        term = undefined;
        // Was: the process died at once, and the operation ran on, recorded nowhere.
        await eventually(() => sandbox.cancelled.includes(uuid), `operation ${uuid} cancelled`);
      } finally {
        await term?.close();
        sandbox.release();
        await fake.close();
        await cleanup();
      }
    },
  );
}

// contree as a container entrypoint (Containerfile: ENTRYPOINT ["contree"]): no config files,
// not even a HOME; configuration from CONTREE_URL / CONTREE_TOKEN / CONTREE_PROJECT; no colours
// without a terminal; SIGTERM/SIGINT abort the running request and exit 143/130 (run: the first
// SIGINT goes to the sandbox's process, the second aborts) — also as PID 1
// of a PID namespace (where signals without a handler are ignored), as in a container.
//
// The program runs as a subprocess with a cleared environment against the FakeApi. Parts that
// need a command another area is still writing (`ps`, `run`) enable themselves once the command
// is in the tree and print a SKIP line until then.

import { networkEnv } from "../../scripts/child_env.ts";
import { COMPILE_PERMISSIONS } from "../../scripts/permissions.ts";
import { App } from "../../src/cli/app.ts";
import { authList } from "../../src/auth/commands.ts";
import { authDeps } from "../../src/cli/wiring.ts";
import { configPaths, ProfileStore } from "../../src/config/profiles.ts";
import { envFromRecord } from "../../src/env.ts";
import { Interrupted } from "../../src/errors.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { MAIN } from "../support/cli.ts";
import { testContext } from "../support/context.ts";
import { FakeApi, type Reply } from "../support/fake_api.ts";
import { collect, type Exited, hasAnsi, skip, topLevelCommands } from "./helpers.ts";

const commands = await topLevelCommands();

/** PATH and the API settings only (plus deno's own cache location, which is not ours). */
function entrypointEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {
    ...networkEnv(),
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    ...extra,
  };
  const denoDir = Deno.env.get("DENO_DIR");
  if (denoDir) env.DENO_DIR = denoDir;
  return env;
}

function apiEnv(fake: FakeApi, extra: Record<string, string> = {}): Record<string, string> {
  return entrypointEnv({ CONTREE_URL: fake.url, CONTREE_TOKEN: fake.token, ...extra });
}

function contreeArgv(args: string[]): string[] {
  return [Deno.execPath(), "run", ...COMPILE_PERMISSIONS, "--quiet", MAIN, ...args];
}

function spawn(argv: string[], env: Record<string, string>): Deno.ChildProcess {
  return new Deno.Command(argv[0], {
    args: argv.slice(1),
    env,
    clearEnv: true,
    cwd: "/",
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

function runEntrypoint(args: string[], env: Record<string, string>): Promise<Exited> {
  return collect(spawn(contreeArgv(args), env));
}

Deno.test("entrypoint: -v, --help and agent work with an empty environment (no HOME)", async () => {
  const env = entrypointEnv();
  const version = await runEntrypoint(["-v"], env);
  assertEquals([version.code, version.stderr], [0, ""]);
  assertMatch(version.stdout, /^contree\/\S+ Deno\/\S+ \w+-\w+\n$/);

  const help = await runEntrypoint(["--help"], env);
  assertEquals([help.code, help.stderr], [0, ""]);
  assertMatch(help.stdout, /^Usage: contree /);

  const manual = await runEntrypoint(["agent", "profiles"], env);
  assertEquals([manual.code, manual.stderr], [0, ""]);
  assertMatch(manual.stdout, /CONTREE_URL/);
});

Deno.test("entrypoint: writing a config file without HOME fails with one clear line", async () => {
  const fake = FakeApi.start();
  try {
    const result = await runEntrypoint(["auth", "--type", "jwt"], apiEnv(fake));
    assertEquals(result.code, 1);
    assertEquals(fake.calls("GET", "/v1/whoami").length, 1); // the token was verified first
    assertMatch(result.stderr, /\[ERROR\] Cannot locate the config directory: set CONTREE_HOME/);
    assertEquals(result.stdout, "");
  } finally {
    await fake.close();
  }
});

Deno.test("entrypoint: no colours without a terminal; FORCE_COLOR turns them on", async () => {
  const plain = await runEntrypoint(["auth", "use", "nope"], entrypointEnv());
  assertEquals(plain.code, 1);
  assertEquals(plain.stderr, "[ERROR] profile 'nope' does not exist\n");

  // The control: the same line is coloured when forced, so the check above can fail.
  const forced = await runEntrypoint(["auth", "use", "nope"], entrypointEnv({ FORCE_COLOR: "1" }));
  assertEquals(forced.code, 1);
  assert(hasAnsi(forced.stderr), `expected colours in ${JSON.stringify(forced.stderr)}`);
});

Deno.test({
  name: "entrypoint: ps talks to the API configured by the environment alone",
  ignore: !commands.has("ps"),
  async fn() {
    const fake = FakeApi.start();
    try {
      const operation = {
        uuid: "0f7e3c1a-5b2d-4e6f-8a9b-0c1d2e3f4a5b",
        kind: "instance",
        status: "EXECUTING",
        error: null,
        created_at: "2026-06-08T20:00:00Z",
      };
      fake.on("GET", "/v1/operations", () => ({ json: [operation] }));
      const result = await runEntrypoint(
        ["-f", "json", "ps"],
        apiEnv(fake, { CONTREE_PROJECT: "project-1" }),
      );
      assertEquals(result.code, 0, result.stderr);
      assert(!hasAnsi(result.stderr), result.stderr);
      const rows = result.stdout.trim().split("\n").map((line) => JSON.parse(line));
      assertEquals(rows.map((row) => row.uuid), [operation.uuid]);
      const request = fake.calls("GET", "/v1/operations")[0];
      assertEquals(request.headers.get("authorization"), `Bearer ${fake.token}`);
      assertEquals(request.headers.get("project"), "project-1");
    } finally {
      await fake.close();
    }
  },
});
if (!commands.has("ps")) skip("entrypoint ps against the API", "no `ps` command in the tree yet");

// ---- signals -------------------------------------------------------------------------------

interface WaitingCommand {
  /** Which command must exist for this case to run. */
  needs: string;
  args: string[];
  /** The request the command blocks on (answered only after the process has gone). */
  method: string;
  path: string;
  /** Routes the command needs before it blocks. */
  setup?: (fake: FakeApi) => void;
  /** Whether it keeps state (a session) and so needs a config directory. */
  needsHome?: boolean;
  /** Checks on the API after the process has gone. */
  verify?: (fake: FakeApi) => void;
  /**
   * A request the first SIGINT sends instead of ending the command (run: SIGINT to the
   * sandbox's process); the second SIGINT then ends it.
   */
  firstInterrupt?: { method: string; path: string };
}

const RUN_OPERATION = "7d1c9e2a-3b4f-4a5d-9c6e-8f0a1b2c3d4e";
const RUN_IMAGE = "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9";

const WAITING_COMMANDS: WaitingCommand[] = [
  // Token verification has no timeout: it waits as long as the server does.
  { needs: "auth", args: ["auth", "--type", "jwt"], method: "GET", path: "/v1/whoami" },
  { needs: "ps", args: ["ps"], method: "GET", path: "/v1/operations" },
  // run blocks on the event stream; interrupted, it cancels the operation before exiting.
  {
    needs: "run",
    args: ["run", "--use", RUN_IMAGE, "--", "sleep", "600"],
    method: "GET",
    path: "/v1/operations/:uuid/events",
    needsHome: true,
    setup(fake) {
      fake.on("POST", "/v1/instances", () => ({
        status: 201,
        json: { uuid: RUN_OPERATION, status: "PENDING" },
      }));
      fake.on("DELETE", "/v1/operations/:uuid", () => ({ status: 204 }));
    },
    verify(fake) {
      assertEquals(fake.calls("DELETE", `/v1/operations/${RUN_OPERATION}`).length, 1);
    },
    firstInterrupt: { method: "DELETE", path: "/v1/operations/:uuid/subprocesses/1" },
  },
];

/** A FakeApi whose `path` hangs; `arrived` resolves when the request is in. */
function hangingApi(command: WaitingCommand) {
  const fake = FakeApi.start();
  command.setup?.(fake);
  const arrived = Promise.withResolvers<void>();
  const release = Promise.withResolvers<Reply>();
  fake.on(command.method, command.path, () => {
    arrived.resolve();
    return release.promise;
  });
  const interrupted = Promise.withResolvers<void>();
  if (command.firstInterrupt) {
    fake.on(command.firstInterrupt.method, command.firstInterrupt.path, () => {
      interrupted.resolve();
      return { status: 204 };
    });
  }
  return {
    fake,
    arrived: arrived.promise,
    interrupted: interrupted.promise,
    async close() {
      release.resolve({ status: 503, json: { error: "gone", status: 503 } });
      await fake.close();
    },
  };
}

async function unshareWorks(): Promise<string | undefined> {
  if (Deno.build.os !== "linux") return "PID namespaces are Linux-only";
  try {
    const probe = await new Deno.Command("unshare", {
      args: ["--pid", "--fork", "--kill-child", "true"],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!probe.success) {
      return `unshare --pid failed: ${new TextDecoder().decode(probe.stderr).trim()}`;
    }
    Deno.statSync(`/proc/self/task/${Deno.pid}/children`); // how the test finds PID 1
    return undefined;
  } catch (error) {
    return `unshare or /proc/PID/task/TID/children is not available (${(error as Error).message})`;
  }
}

const pidNamespaceProblem = await unshareWorks();
if (pidNamespaceProblem) skip("entrypoint signals as PID 1", pidNamespaceProblem);

/** Waits for the blocking request; a process that exits before sending it fails the test. */
async function arrivedOrFail(arrived: Promise<void>, child: Deno.ChildProcess): Promise<void> {
  const exited = child.status.then(() => "exited" as const);
  if (await Promise.race([arrived.then(() => "arrived" as const), exited]) === "exited") {
    const result = await collect(child);
    throw new Error(`exited ${result.code} before the request arrived: ${result.stderr}`);
  }
}

/** The pid (in our namespace) of the only child of `pid`. */
async function onlyChild(pid: number): Promise<number> {
  const children = (await Deno.readTextFile(`/proc/${pid}/task/${pid}/children`)).trim();
  assert(/^\d+$/.test(children), `expected one child of ${pid}, got '${children}'`);
  return Number(children);
}

for (const command of WAITING_COMMANDS) {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    const code = signal === "SIGTERM" ? 143 : 130;
    const message = signal === "SIGTERM" ? /Terminated/ : /User interrupted/;
    for (const asPid1 of [false, true]) {
      const where = asPid1 ? " as PID 1" : "";
      Deno.test({
        name: `entrypoint: ${signal} during \`${
          command.args[0]
        }\`${where} aborts it and exits ${code}`,
        ignore: !commands.has(command.needs) || (asPid1 && pidNamespaceProblem !== undefined),
        async fn() {
          const api = hangingApi(command);
          const home = command.needsHome ? await Deno.makeTempDir() : undefined;
          try {
            const env = apiEnv(
              api.fake,
              home ? { CONTREE_HOME: home, CONTREE_SESSION: "entrypoint" } : {},
            );
            const argv = contreeArgv(command.args);
            const child = spawn(
              asPid1 ? ["unshare", "--pid", "--fork", "--kill-child", ...argv] : argv,
              env,
            );
            await arrivedOrFail(api.arrived, child);
            const target = asPid1 ? await onlyChild(child.pid) : child.pid;
            Deno.kill(target, signal);
            if (signal === "SIGINT" && command.firstInterrupt) {
              await api.interrupted; // the first went to the sandbox's process
              Deno.kill(target, signal);
            }
            // A process that ignores the signal would wait forever: end it, and the test fails.
            const watchdog = setTimeout(() => child.kill("SIGKILL"), 60_000);
            const result = await collect(child).finally(() => clearTimeout(watchdog));
            // It exited on its own (no signal death) with the documented code and one line.
            assertEquals([result.code, result.signal], [code, null], result.stderr);
            assertMatch(result.stderr, message);
            assert(!hasAnsi(result.stderr), result.stderr);
            assertEquals(result.stdout, "");
            command.verify?.(api.fake);
          } finally {
            await api.close();
            if (home) await Deno.remove(home, { recursive: true });
          }
        },
      });
    }
  }
}
for (const command of WAITING_COMMANDS.filter((c) => !commands.has(c.needs))) {
  skip(
    `entrypoint signals during ${command.needs}`,
    `no \`${command.needs}\` command in the tree yet`,
  );
}

Deno.test("auth ls: an interrupt during the probes ends the command, not just the probe", async () => {
  const api = hangingApi(WAITING_COMMANDS[0]);
  try {
    const ctx = testContext();
    const config = await ProfileStore.load(configPaths(envFromRecord({}), undefined));
    config.set({ name: "local", type: "jwt", url: api.fake.url, token: api.fake.token });
    const app = new App(ctx, { logLevel: "info", format: "json" }, config);
    const listing = authList(authDeps(app), { offline: false, timeoutMs: 60_000 });
    await api.arrived;
    ctx.abort(new Interrupted("SIGTERM"));
    let thrown: unknown;
    await listing.catch((error) => thrown = error);
    assert(thrown instanceof Interrupted, `expected Interrupted, got ${thrown}`);
    assertEquals(ctx.stdout.text(), ""); // no row claiming the profile is broken
  } finally {
    await api.close();
  }
});

Deno.test("no config directory: nothing is read, a path that needs one throws a clear error", async () => {
  const paths = configPaths(envFromRecord({}), undefined);
  assertEquals(paths.unlocated, "Cannot locate the config directory: set CONTREE_HOME or HOME");
  for (const read of [() => paths.sessionsDir, () => paths.authFile, () => paths.home]) {
    let message = "";
    try {
      read();
    } catch (error) {
      message = (error as Error).message;
    }
    assertEquals(message, paths.unlocated);
  }
  const store = await ProfileStore.load(paths);
  assertEquals(store.names(), []);

  // An explicit -c file is still read (and only that one).
  const dir = await Deno.makeTempDir({ prefix: "contree-noconf-" });
  try {
    await Deno.writeTextFile(`${dir}/auth.ini`, "[profile:x]\ntype = jwt\nurl = http://h\n");
    const explicit = configPaths(envFromRecord({}), undefined, `${dir}/auth.ini`);
    assertEquals(explicit.authFile, `${dir}/auth.ini`);
    assertEquals((await ProfileStore.load(explicit)).names(), ["x"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

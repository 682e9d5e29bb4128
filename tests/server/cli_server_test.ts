// `contree server start|status|stop` as real subprocesses: the token file, the `local` profile,
// detaching, refusing a second server, clean stops on SIGTERM, and recovery after a crash.

import { decodeStreamRepr } from "../../src/api/stream_repr.ts";
import { IniFile } from "../../src/config/ini.ts";
import { serverProcessEnv } from "../../src/server/defaults.ts";
import { RESTARTED_ERROR, STOPPED_ERROR } from "../../src/server/operations.ts";
import { Store } from "../../src/server/store.ts";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../support/assert.ts";
import { runCli, tempHome } from "../support/cli.ts";
import { startServerProcess } from "../support/server_process.ts";
import { podmanEnv, podmanTest, testPodman } from "../support/podman.ts";
import { importBusybox, removePodmanObjects, testClient, waitForEvent } from "../support/server.ts";

interface State {
  pid: number;
  port: number;
  url: string;
}

async function readState(home: string): Promise<State> {
  return JSON.parse(await Deno.readTextFile(`${home}/server/server.json`));
}

async function readToken(home: string): Promise<string> {
  return (await Deno.readTextFile(`${home}/server/token`)).trim();
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("cli server: detach, token 0600, local profile, status, refusal, stop", async () => {
  const { home, cleanup } = await tempHome();
  const env = { CONTREE_HOME: home, ...podmanEnv() };
  try {
    const started = await runCli(["server", "start", "--port", "0", "--detach"], { env });
    assertEquals(started.code, 0, started.stderr);
    assertEquals(started.stdout, "");
    assertStringIncludes(started.stderr, "started in the background");
    const state = await readState(home);
    const token = await readToken(home);
    assertMatch(token, /^[0-9a-f]{64}$/);
    for (const file of ["token", "server.pid", "server.log", "contree.db"]) {
      assertEquals((await Deno.stat(`${home}/server/${file}`)).mode! & 0o777, 0o600, file);
    }
    assert(!started.stderr.includes(token), "the token is never printed");
    // Its runtime settings (less memory while output streams), from a clean environment.
    const environ = (await Deno.readTextFile(`/proc/${state.pid}/environ`)).split("\0");
    for (const [name, value] of Object.entries(serverProcessEnv({ get: () => undefined }))) {
      assert(environ.includes(`${name}=${value}`), `${name}: ${environ.join(" ")}`);
    }

    const auth = IniFile.parse(await Deno.readTextFile(`${home}/auth.ini`));
    assertEquals(auth.defaults.get("profile"), "local");
    assertEquals(auth.sections.get("profile:local")?.get("url"), state.url);
    assertEquals(auth.sections.get("profile:local")?.get("type"), "jwt");
    assertEquals(auth.sections.get("profile:local")?.get("token"), token);

    const status = await runCli(["-f", "json", "server", "status"], { env });
    assertEquals(status.code, 0, status.stderr);
    const row = JSON.parse(status.stdout);
    assertEquals([row.status, row.port, row.pid, row.active], [
      "running",
      state.port,
      state.pid,
      0,
    ]);
    // The label of its podman objects.
    assertMatch(row.server_id, /^[0-9a-f-]{36}$/);

    assertEquals((await fetch(`${state.url}/v1/whoami`)).status, 401);
    assertEquals((await testClient(state.url, token).whoami()).permissions.list, true);

    const again = await runCli(["server", "start", "--port", "0"], { env });
    assertEquals(again.code, 1);
    assertStringIncludes(again.stderr, "already running");

    const stopped = await runCli(["server", "stop"], { env });
    assertEquals(stopped.code, 0, stopped.stderr);
    assertStringIncludes(stopped.stderr, `Stopped the contree server (pid ${state.pid})`);
    assert(!await exists(`${home}/server/server.pid`));
    assert(!await exists(`${home}/server/server.json`));
    const after = await runCli(["-f", "json", "server", "status"], { env });
    // Every field keeps its type: what is not known is null (was: "" for numbers).
    assertEquals([after.code, JSON.parse(after.stdout)], [1, {
      status: "stopped",
      url: null,
      port: null,
      pid: null,
      home: `${home}/server`,
      operations: null,
      active: null,
      server_id: null,
    }]);
    assertEquals((await runCli(["server", "stop"], { env })).code, 0);
    // With the server stopped, the `local` profile says so at once (was: 14 s of retries).
    const ps = await runCli(["ps"], { env });
    assertEquals([ps.code, ps.stdout], [1, ""]);
    assertEquals(
      ps.stderr,
      `[ERROR] Network error: ${state.url} refused the connection: the local server is not ` +
        "running (start it with: contree server start)\n",
    );
  } finally {
    await runCli(["server", "stop"], { env });
    await cleanup();
  }
});

Deno.test("cli server: start -d waits for a start-up that takes its time, and says so", async () => {
  // podman lists images slowly when there are thousands: start-up took 19 s with 2,000, and a
  // fixed 30 s wait killed servers about to answer. Here `podman images` takes 11 s.
  const { home, cleanup } = await tempHome();
  const wrapper = `${home}/slow-podman`;
  await Deno.writeTextFile(
    wrapper,
    '#!/bin/sh\nfor a; do [ "$a" = images ] && sleep 11 && break; done\nexec podman "$@"\n',
    { mode: 0o755 },
  );
  const env = { CONTREE_HOME: home, CONTREE_PODMAN: wrapper, ...podmanEnv() };
  try {
    const started = await runCli(["server", "start", "--port", "0", "--detach"], { env });
    assertEquals(started.code, 0, started.stderr);
    assertStringIncludes(started.stderr, "[INFO] The server is still starting");
    assertStringIncludes(started.stderr, "started in the background");
  } finally {
    // Also when an assertion failed: a server left running outlives the test.
    const stopped = await runCli(["server", "stop"], { env });
    await cleanup();
    assertEquals(stopped.code, 0, stopped.stderr);
  }
});

Deno.test("cli server: the local profile does not replace an existing active profile", async () => {
  const { home, cleanup } = await tempHome();
  const env = { CONTREE_HOME: home, ...podmanEnv() };
  try {
    await Deno.writeTextFile(
      `${home}/auth.ini`,
      "[DEFAULT]\nprofile = work\n\n[profile:work]\nurl = https://example.com\ntype = jwt\ntoken = t\n",
    );
    const started = await runCli(["server", "start", "--port", "0", "-d"], { env });
    assertEquals(started.code, 0, started.stderr);
    const auth = IniFile.parse(await Deno.readTextFile(`${home}/auth.ini`));
    assertEquals(auth.defaults.get("profile"), "work");
    assertEquals(auth.sections.get("profile:local")?.get("url"), (await readState(home)).url);
  } finally {
    await runCli(["server", "stop"], { env });
    await cleanup();
  }
});

Deno.test("cli server: a home that cannot be a directory is one clear line, foreground or detached", async () => {
  const { home, cleanup } = await tempHome();
  try {
    await Deno.writeTextFile(`${home}/file`, "");
    for (const [dir, detach] of [[`${home}/file`, []], [`${home}/file/below`, ["-d"]]] as const) {
      const started = await runCli(["server", "start", "--port", "0", "--home", dir, ...detach], {
        env: { CONTREE_HOME: home },
      });
      assertEquals([started.code, started.stdout], [1, ""]);
      assertEquals(
        started.stderr,
        `[ERROR] Cannot use ${dir} as the server home: it is not a directory\n`,
      );
    }
  } finally {
    await cleanup();
  }
});

Deno.test("cli server: stop signals only its own server, never what a stale pid file names", async () => {
  const { home, cleanup } = await tempHome();
  const env = { CONTREE_HOME: home, ...podmanEnv() };
  // Another program whose command line contains "server", alive under the stale pid (one
  // process: a shell's sleep outlived the kill of the shell).
  const victim = new Deno.Command(Deno.execPath(), {
    args: ["eval", "setTimeout(() => {}, 600_000)", "server"],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let exited = false;
  const status = victim.status.then((s) => (exited = true, s));
  try {
    await Deno.mkdir(`${home}/server`, { recursive: true });
    await Deno.writeTextFile(`${home}/server/server.pid`, `${victim.pid}\n`);
    await Deno.writeTextFile(
      `${home}/server/server.json`,
      JSON.stringify({
        pid: victim.pid,
        port: 1,
        url: "http://127.0.0.1:1",
        started_at: new Date(0).toISOString(),
        instance: crypto.randomUUID(),
      }),
    );
    // Stopped by its owner: it stays so (was resumed: existence was asked with SIGCONT).
    Deno.kill(victim.pid, "SIGSTOP");
    const state = async () =>
      (await Deno.readTextFile(`/proc/${victim.pid}/stat`)).replace(/^\d+ \(.*\) /s, "")[0];
    // The stop lands asynchronously, and nothing signals it: /proc is read until it shows.
    for (let i = 0; i < 500 && await state() !== "T"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assertEquals(await state(), "T");
    const stopped = await runCli(["server", "stop"], { env });
    assertEquals(stopped.code, 1, stopped.stderr);
    assertStringIncludes(stopped.stderr, `Not stopping pid ${victim.pid}`);
    const shown = await runCli(["server", "status"], { env });
    assertEquals(shown.code, 1, shown.stderr);
    assertStringIncludes(shown.stdout, "not responding");
    const again = await runCli(["server", "start", "--port", "0"], { env });
    assertEquals(again.code, 1);
    assertStringIncludes(again.stderr, "does not answer as this home's server");
    assert(!exited, "the other program was signalled");
    assertEquals(await state(), "T", "the other program was resumed");
  } finally {
    if (!exited) victim.kill("SIGKILL");
    await status;
    await cleanup();
  }
});

podmanTest(
  "cli server: SIGTERM (SIGHUP: its terminal closed) fails running operations cleanly; a crash is recovered",
  async () => {
    const { home, cleanup } = await tempHome();
    const env = { CONTREE_HOME: home, ...podmanEnv() };
    let serverId: string | undefined;
    try {
      // 1. A foreground server stops on SIGHUP as on SIGTERM (the second SIGTERM test is below);
      // its running operation ends FAILED. Was: SIGHUP killed it, as a crash.
      const first = await startServerProcess({ env });
      const token = await readToken(home);
      let client = testClient((await readState(home)).url, token);
      const image = await importBusybox(client, "busybox:cli");
      const stopped = await client.spawn({
        image: "tag:busybox:cli",
        command: "sleep",
        args: ["30"],
      });
      await waitForEvent(client, stopped.uuid, (e) => e.type === "spawn");
      assertEquals(await first.stop("SIGHUP"), 0);
      assertStringIncludes(first.log(), "server stopped");
      assert(!await exists(`${home}/server/server.pid`));

      // 2. Restarted: the operation reads FAILED; a second one is cut off by SIGKILL (a crash).
      const second = await startServerProcess({ env });
      client = testClient((await readState(home)).url, token);
      const afterStop = await client.getOperation(stopped.uuid);
      assertEquals([afterStop.status, afterStop.error], ["FAILED", STOPPED_ERROR]);
      const crashed = await client.spawn({
        image: "tag:busybox:cli",
        command: "echo begin; exec sleep 30",
        shell: true,
      });
      await waitForEvent(client, crashed.uuid, (e) => e.type === "stdout");
      await second.kill();

      // 3. After the crash: FAILED with a clear error, log completed, container removed.
      const third = await runCli(["server", "start", "--port", "0", "--detach"], { env });
      assertEquals(third.code, 0, third.stderr);
      client = testClient((await readState(home)).url, token);
      const op = await client.getOperation(crashed.uuid);
      assertEquals([op.status, op.error], ["FAILED", RESTARTED_ERROR]);
      // What its log holds stays in its record (it was "", the log's "begin" in the events only).
      const kept = op.metadata?.result?.stdout;
      assertEquals(kept && new TextDecoder().decode(decodeStreamRepr(kept)), "begin\n");
      const log = await (await client.openEvents(crashed.uuid, { follow: true })).text();
      assertStringIncludes(log.trim().split("\n").at(-1)!, '"type":"completion"');
      assertEquals(await client.lookupTag("busybox:cli"), image);
      const containers = await testPodman.run(
        ["ps", "-aq", "--filter", `label=contree.op=${crashed.uuid}`],
      );
      assertEquals(containers.stdout.trim(), "");
    } finally {
      await runCli(["server", "stop"], { env });
      const store = Store.open(`${home}/server/contree.db`);
      serverId = store.meta("server_id");
      store.close();
      if (serverId) await removePodmanObjects(serverId);
      await cleanup();
    }
  },
);

Deno.test("cli server: out of file descriptors, it listens again and keeps serving", async () => {
  const { home, cleanup } = await tempHome();
  const server = await startServerProcess({ env: { CONTREE_HOME: home, ...podmanEnv() } });
  const held: Deno.TcpConn[] = [];
  try {
    const limit = await new Deno.Command("prlimit", {
      args: ["--pid", String(server.pid), "--nofile=128:128"],
    }).output();
    assertEquals(limit.code, 0, new TextDecoder().decode(limit.stderr));
    // Each connection takes a descriptor in the server until its accept fails.
    const stopped = server.logShows("stopped accepting connections");
    for (let i = 0; i < 200; i++) {
      try {
        held.push(
          await Deno.connect({ hostname: "127.0.0.1", port: Number(new URL(server.url).port) }),
        );
      } catch {
        break; // the listener is gone: refused
      }
    }
    await stopped;
    const again = server.logShows("accepting connections again");
    for (const conn of held.splice(0)) conn.close();
    await again;
    // Was: an unhandled rejection from Deno's accept loop, and the process exited.
    assertEquals((await server.client.whoami()).permissions.list, true);
    assert(!server.log().includes("Uncaught"), server.log());
    assertEquals(await server.stop(), 0);
  } finally {
    for (const conn of held) conn.close();
    await server.kill();
    await cleanup();
  }
});

Deno.test("cli server: a pid file naming a zombie (exited, not yet reaped) is a stopped server", async () => {
  const { home, cleanup } = await tempHome();
  const env = { CONTREE_HOME: home, ...podmanEnv() };
  // The child exits once it reads a byte; its parent, exec'd into sleep by then, never waits
  // for it: a zombie.
  const parent = new Deno.Command("sh", {
    args: ["-c", "exec 3<&0; head -c 1 <&3 >/dev/null & echo $!; exec sleep 600"],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const stdin = parent.stdin.getWriter();
  try {
    const reader = parent.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const zombie = Number((await reader.read()).value!.trim());
    reader.releaseLock();
    const until = async (done: () => boolean) => {
      for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
    };
    await until(() => Deno.readTextFileSync(`/proc/${parent.pid}/comm`) === "sleep\n");
    await stdin.write(new Uint8Array([1]));
    const state = () =>
      /^\d+ \(.*\) (\S)/s.exec(Deno.readTextFileSync(`/proc/${zombie}/stat`))?.[1];
    await until(() => state() === "Z");
    assertEquals(state(), "Z");
    await Deno.mkdir(`${home}/server`, { recursive: true });
    await Deno.writeTextFile(`${home}/server/server.pid`, `${zombie}\n`);
    const status = await runCli(["-f", "json", "server", "status"], { env });
    // Was: "alive but does not answer as this home's server", and start refused.
    assertEquals([status.code, JSON.parse(status.stdout).status], [1, "stopped"], status.stderr);
  } finally {
    await stdin.close().catch(() => {});
    parent.kill("SIGKILL");
    await parent.status;
    await cleanup();
  }
});

/** Pids of the processes whose command line names `text` (a server's home). */
function processesNaming(text: string): number[] {
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    try {
      if (Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).includes(text)) {
        pids.push(Number(entry.name));
      }
    } catch {
      // not a process, or gone
    }
  }
  return pids;
}

Deno.test("cli server: starts at the same moment on one home make one server; stops at once end it cleanly", async () => {
  const { home, cleanup } = await tempHome();
  const env = { CONTREE_HOME: home, ...podmanEnv() };
  try {
    const starts = await Promise.all(
      [1, 2, 3].map(() => runCli(["server", "start", "--detach", "--port", "0"], { env })),
    );
    // Was: two or three servers on one home, each sweeping the other's podman objects away.
    assertEquals(
      starts.map((start) => start.code).sort(),
      [0, 1, 1],
      starts.map((s) => s.stderr).join("\n"),
    );
    for (const lost of starts.filter((start) => start.code === 1)) {
      assertStringIncludes(lost.stderr, "already running");
    }
    const state = await readState(home);
    assertEquals(processesNaming(`${home}/server`), [state.pid], "one server process");

    const stops = await Promise.all([1, 2].map(() => runCli(["server", "stop"], { env })));
    // Was: the second SIGTERM exited the server at once, leaving its files and operations.
    assertEquals(stops.map((stop) => stop.code), [0, 0], stops.map((s) => s.stderr).join("\n"));
    assertEquals(processesNaming(`${home}/server`), []);
    assertStringIncludes(await Deno.readTextFile(`${home}/server/server.log`), "server stopped");
    assert(!await exists(`${home}/server/server.pid`));
    assert(!await exists(`${home}/server/server.json`));
  } finally {
    await runCli(["server", "stop"], { env });
    for (const pid of processesNaming(`${home}/server`)) Deno.kill(pid, "SIGKILL");
    await cleanup();
  }
});

podmanTest(
  "cli server: a home given as a relative path (CONTREE_HOME=rel) runs with files",
  async () => {
    const { home: dir, cleanup } = await tempHome();
    const env = { CONTREE_HOME: "rel", ...podmanEnv() };
    let serverId: string | undefined;
    try {
      const started = await runCli(["server", "start", "--port", "0", "--detach"], {
        env,
        cwd: dir,
      });
      assertEquals(started.code, 0, started.stderr);
      const client = testClient((await readState(`${dir}/rel`)).url, await readToken(`${dir}/rel`));
      const image = await importBusybox(client, "busybox:rel");
      const file = await client.uploadFile(new TextEncoder().encode("injected\n"));
      const { uuid } = await client.spawn({
        image,
        command: "cat",
        args: ["/root/f"],
        files: { "/root/f": { uuid: file.uuid } },
        disposable: true,
      });
      let op = await client.getOperation(uuid);
      while (!["SUCCESS", "FAILED", "CANCELLED"].includes(op.status ?? "")) {
        await waitForEvent(client, uuid, (e) => e.type === "completion");
        op = await client.getOperation(uuid);
      }
      // Was FAILED: podman runs in the home, and `podman cp` read its relative TMPDIR in there.
      assertEquals(op.status, "SUCCESS", op.error ?? "");
    } finally {
      await runCli(["server", "stop"], { env, cwd: dir });
      const store = Store.open(`${dir}/rel/server/contree.db`);
      serverId = store.meta("server_id");
      store.close();
      if (serverId) await removePodmanObjects(serverId);
      await cleanup();
    }
  },
);

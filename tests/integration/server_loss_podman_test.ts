// `run` when the local server on podman goes away mid-run (the fake's rows:
// tests/operations/server_loss_test.ts). Both scenarios run at once (one waits ~20 s of real
// time for the documented lost-contact behaviour):
// - the server (a `contree server start` subprocess) is SIGKILLed and restarted on the same
//   port: the operation ends FAILED with the server's reason, the CLI says so and exits 1;
// - the server is gone for good (a FaultProxy in front of it goes down): the lost-contact
//   warning, then with CONTREE_FOLLOW_TIMEOUT=20 the error with the `op wait` hint, exit 1, and
//   the operation is not cancelled.

import { RESTARTED_ERROR } from "../../src/server/operations.ts";
import { Store } from "../../src/server/store.ts";
import { assertEquals } from "../support/assert.ts";
import { tempHome, watchCli } from "../support/cli.ts";
import { FaultProxy } from "../support/fault_proxy.ts";
import { podmanEnv, podmanTest } from "../support/podman.ts";
import {
  importBusybox,
  removePodmanObjects,
  startTestServer,
  testClient,
} from "../support/server.ts";
import { startServerProcess } from "../support/server_process.ts";

const SCRIPT = "echo before; echo before-err >&2; sleep 60; echo after";

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** stderr without a lost-contact warning and its "back" line (a slow restart may print them). */
function withoutContactNotes(stderr: string): string {
  return stderr.split("\n").filter((line) =>
    !line.startsWith("[WARNING] Lost contact with ") &&
    !/^\[INFO\] Contact with .* is back$/.test(line)
  ).join("\n");
}

async function killedAndRestarted(): Promise<void> {
  const serverHome = await tempHome();
  const clientHome = await tempHome();
  const env = { CONTREE_HOME: serverHome.home, ...podmanEnv() };
  const port = freePort();
  let server = await startServerProcess({ env, port });
  try {
    const { url, token } = server;
    const client = testClient(url, token);
    const image = await importBusybox(client, "busybox:loss");
    const cli = watchCli(
      ["run", "-D", "--use", image, "--", "sh", "-c", SCRIPT],
      {
        env: {
          CONTREE_HOME: clientHome.home,
          CONTREE_URL: url,
          CONTREE_TOKEN: token,
          CONTREE_SESSION: "killed",
        },
      },
    );
    await cli.shows("stdout", "before\n");
    await cli.shows("stderr", "before-err\n");
    await server.kill();
    server = await startServerProcess({ env, port });
    const result = await cli.finished;
    const [op] = await client.listOperations({ kind: "instance" });
    assertEquals(result.stdout, "before\n");
    assertEquals(
      withoutContactNotes(result.stderr),
      `before-err\n[CRITICAL] Operation ${op.uuid} ended with status FAILED: ${RESTARTED_ERROR}\n`,
    );
    assertEquals(result.code, 1);
  } finally {
    await server.stop();
    const store = Store.open(`${serverHome.home}/server/contree.db`);
    const serverId = store.meta("server_id");
    store.close();
    if (serverId) await removePodmanObjects(serverId);
    await serverHome.cleanup();
    await clientHome.cleanup();
  }
}

async function goneForGood(): Promise<void> {
  const server = await startTestServer({ busybox: true });
  const proxy = new FaultProxy({ hostname: "127.0.0.1", port: server.server.port });
  const { home, cleanup } = await tempHome();
  try {
    const cli = watchCli(["run", "-D", "--use", server.busybox, "--", "sh", "-c", SCRIPT], {
      env: {
        CONTREE_HOME: home,
        CONTREE_URL: proxy.url,
        CONTREE_TOKEN: server.token,
        CONTREE_SESSION: "gone",
        CONTREE_FOLLOW_TIMEOUT: "20",
      },
    });
    await cli.shows("stdout", "before\n");
    await cli.shows("stderr", "before-err\n");
    proxy.down();
    const result = await cli.finished;
    const [op] = await server.client.listOperations({ kind: "instance" });
    assertEquals(result.stdout, "before\n");
    assertEquals(result.stderr.split("\n"), [
      "before-err",
      `[WARNING] Lost contact with ${proxy.url}; retrying (operation ${op.uuid} keeps running; ` +
      "Ctrl-C cancels it)",
      `[ERROR] No contact with ${proxy.url} for 20s; operation ${op.uuid} was left running on ` +
      "the server. Pick it up later with: contree session wait",
      "",
    ]);
    assertEquals(result.code, 1);
    const record = await server.client.getOperation(op.uuid);
    assertEquals(record.status, "EXECUTING", "lost contact never cancels the operation");
  } finally {
    await proxy.close();
    await server.cleanup();
    await cleanup();
  }
}

podmanTest("server loss (podman): killed and restarted; gone for good", async () => {
  const outcomes = await Promise.allSettled([killedAndRestarted(), goneForGood()]);
  const failures = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected");
  if (failures.length > 0) throw failures[0].reason;
});

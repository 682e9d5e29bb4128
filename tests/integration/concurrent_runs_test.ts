// 50 `contree run` processes at once on one session against the local server (real podman):
// every process exits 0 with its own output, and every run lands in the session history with
// its operation, none lost and none locked out.

import { SessionStore } from "../../src/session/store.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { runCli, spawnCli, tempHome } from "../support/cli.ts";
import { podmanTest } from "../support/podman.ts";
import { startTestServer } from "../support/server.ts";

const RUNS = 50;

podmanTest("concurrency: 50 parallel runs on one session, no history entry lost", async () => {
  const server = await startTestServer({ busybox: true, concurrency: 6 });
  const { home, cleanup } = await tempHome();
  try {
    const env = {
      CONTREE_HOME: home,
      CONTREE_URL: server.url,
      CONTREE_TOKEN: server.token,
      CONTREE_DB_TIMEOUT: "120",
    };
    assertEquals((await runCli(["-S", "shared", "use", server.busybox], { env })).code, 0);

    const children = Array.from(
      { length: RUNS },
      (_, i) => spawnCli(["-S", "shared", "run", "--", "sh", "-c", `echo run-${i}`], { env }),
    );
    const results = await Promise.all(children.map((child) => child.output()));
    const decoder = new TextDecoder();
    for (const [i, result] of results.entries()) {
      assertEquals(
        [result.code, decoder.decode(result.stdout), decoder.decode(result.stderr)],
        [0, `run-${i}\n`, ""],
        `run ${i}`,
      );
    }

    const store = SessionStore.open(`${home}/cli/sessions/default.db`);
    try {
      const history = store.history("shared");
      const runs = history.filter((entry) => entry.kind === "run");
      assertEquals(runs.length, RUNS, "one run entry per process");
      assertEquals(
        runs.map((entry) => entry.title).sort(),
        Array.from({ length: RUNS }, (_, i) => `sh -c echo run-${i}`).sort(),
      );
      // Each entry carries its own operation, which made the entry's image.
      assertEquals(new Set(runs.map((entry) => entry.operation)).size, RUNS);
      for (const entry of runs) {
        const operation = server.server.store.operation(entry.operation);
        assert(operation, `operation ${entry.operation} of "${entry.title}" exists`);
        assertEquals(operation.status, "SUCCESS");
        assertEquals(entry.image, operation.result_image_uuid, entry.title);
      }
      // Every run advanced the branch from the tip it found at commit time: one linear chain,
      // in commit order, from the `use` entry to the tip.
      assertEquals(history[0].kind, "use");
      assertEquals(history.length, RUNS + 1);
      assertEquals(history.map((entry) => entry.parentId), [
        null,
        ...history.slice(0, -1).map((entry) => entry.id),
      ]);
      assertEquals(store.tip("shared")?.id, history.at(-1)?.id);
    } finally {
      store.close();
    }
  } finally {
    await cleanup();
    await server.cleanup();
  }
});

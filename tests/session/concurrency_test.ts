// Many contree processes writing one session at once: every entry lands, the history stays a
// single chain, and nobody sees "database is locked".

import { SessionStore } from "../../src/session/store.ts";
import { assertEquals } from "../support/assert.ts";
import { spawnCli, tempHome } from "../support/cli.ts";

const PROCESSES = 20;

function imageFor(i: number): string {
  return `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
}

Deno.test("concurrency: 20 processes append to one session without losing an entry", async () => {
  const { home, cleanup } = await tempHome();
  try {
    // A fresh database: the processes also race to create the schema.
    const children = Array.from(
      { length: PROCESSES },
      (_, i) =>
        spawnCli(["-S", "shared", "use", imageFor(i)], {
          env: { CONTREE_HOME: home, CONTREE_DB_TIMEOUT: "60" },
        }),
    );
    const results = await Promise.all(children.map((child) => child.output()));
    const decoder = new TextDecoder();
    for (const [i, result] of results.entries()) {
      assertEquals(
        [result.code, decoder.decode(result.stderr)],
        [0, ""],
        `process ${i} failed`,
      );
      assertEquals(decoder.decode(result.stdout), "export CONTREE_SESSION=shared\n");
    }

    const store = SessionStore.open(`${home}/cli/sessions/default.db`);
    try {
      const history = store.history("shared");
      assertEquals(history.length, PROCESSES);
      assertEquals(
        history.map((e) => e.image).sort(),
        Array.from({ length: PROCESSES }, (_, i) => imageFor(i)).sort(),
      );
      // Each append saw the previous tip: one linear chain, no forks.
      assertEquals(history.map((e) => e.parentId), [
        null,
        ...history.slice(0, -1).map((e) => e.id),
      ]);
      assertEquals(store.tip("shared")?.id, history.at(-1)?.id);
    } finally {
      store.close();
    }
  } finally {
    await cleanup();
  }
});

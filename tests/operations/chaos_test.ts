// Chaos: a proxy between the CLI and the API cuts the event stream 200 times at random points
// during a streamed `run`. The output must be byte-identical to an uninterrupted run, and the
// exit code the same.

import { assertEquals } from "../support/assert.ts";
import { ChaosProxy } from "../support/chaos_proxy.ts";
import { prng } from "../support/prng.ts";
import { runCli, tempHome } from "../support/cli.ts";
import { FakeApi } from "../support/fake_api.ts";
import { installEventLog, runEvents } from "../support/fake_events.ts";

const IMAGE = "11111111-2222-3333-4444-555555555555";
const OP = "87654321-9abc-baba-deda-0123456789ab";
const CUTS = 200;

/** ~1.6 MB of output: random bytes (base64 on the wire) and text with split UTF-8 characters. */
function chunks(): { stream: "stdout" | "stderr"; bytes: Uint8Array }[] {
  const random = prng(7);
  const euro = new TextEncoder().encode("€");
  const out: { stream: "stdout" | "stderr"; bytes: Uint8Array }[] = [];
  for (let i = 0; i < 1600; i++) {
    const bytes = new Uint8Array(1000).map(() => Math.floor(random() * 256));
    // End some chunks in the middle of a multi-byte character; the next one completes it.
    if (i % 7 === 0) bytes.set(euro.slice(0, 2), 998);
    if (i % 7 === 1) bytes.set(euro.slice(2), 0);
    out.push({ stream: i % 50 === 0 ? "stderr" : "stdout", bytes });
  }
  return out;
}

Deno.test({
  name:
    "chaos: 200 cuts during a streamed run leave the output byte-identical and the exit code the same",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const fake = FakeApi.start();
    fake.on(
      "POST",
      "/v1/instances",
      () => ({ status: 201, json: { uuid: OP, status: "PENDING" } }),
    );
    const events = runEvents(chunks(), { code: 5 });
    const log = installEventLog(fake, OP, events);
    const proxy = new ChaosProxy({
      target: { hostname: "127.0.0.1", port: fake.port },
      cuts: CUTS,
      minBytes: 2_000,
      maxBytes: 9_000,
    });
    const { home, cleanup } = await tempHome();
    const env = { CONTREE_HOME: home, CONTREE_TOKEN: fake.token, CONTREE_SESSION: "chaos" };
    try {
      const direct = { ...env, CONTREE_URL: fake.url };
      assertEquals((await runCli(["use", IMAGE], { env: direct })).code, 0);
      const clean = await runCli(["run", "--", "generate"], { env: direct });
      assertEquals(clean.code, 5);
      const cleanConnections = log.connections.length;
      assertEquals(cleanConnections, 1);

      const chaotic = await runCli(["run", "--", "generate"], {
        env: { ...env, CONTREE_URL: proxy.url },
      });
      assertEquals(proxy.cutCount, CUTS, "every planned cut happened during the run");
      assertEquals(chaotic.code, clean.code);
      assertEquals(chaotic.stdoutBytes.length, clean.stdoutBytes.length);
      assertEquals(chaotic.stdoutBytes, clean.stdoutBytes);
      // stderr carries the sandbox's stderr; the follower's own notes are debug-level.
      assertEquals(chaotic.stderr, clean.stderr);
    } finally {
      await proxy.close();
      await fake.close();
      await cleanup();
    }
  },
});

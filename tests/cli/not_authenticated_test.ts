// A token the server refuses is exit 4 with one line, at once, in every command — also those
// that go on to the next item after one fails (show, kill, op events, op wait, images import).

import { assertEquals, assertStringIncludes } from "../support/assert.ts";
import { runCli, tempHome } from "../support/cli.ts";
import { FakeApi } from "../support/fake_api.ts";

const OP = "87654321-9abc-baba-deda-0123456789ab";
const OTHER = "11111111-9abc-baba-deda-0123456789ab";

Deno.test("a refused token: exit 4 and one line, at once, in every command", async () => {
  const fake = FakeApi.start();
  const { home, cleanup } = await tempHome();
  const env = { CONTREE_HOME: home, CONTREE_URL: fake.url, CONTREE_TOKEN: "wrong" };
  try {
    for (
      const args of [
        ["ps"],
        ["show", OP, OTHER],
        ["op", "show", OP],
        ["kill", OP, OTHER],
        ["op", "events", OP, OTHER],
        // Was: polled silently until the --timeout, then "Timeout", exit 1.
        ["op", "wait", "-t", "600", OP, OTHER],
        ["images", "import", "busybox", "alpine"],
      ]
    ) {
      const result = await runCli(args, { env });
      assertEquals(result.code, 4, `${args.join(" ")}: ${result.stderr}`);
      assertStringIncludes(result.stderr, "401", args.join(" "));
      const errors = result.stderr.split("\n").filter((line) => line.startsWith("[ERROR]"));
      assertEquals(errors.length, 1, `${args.join(" ")}: ${result.stderr}`);
      assertEquals(result.stderr.includes("wrong"), false, "the token is never shown");
    }
  } finally {
    await fake.close();
    await cleanup();
  }
});

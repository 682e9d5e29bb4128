// A session database on a full disk: SQLite says "disk I/O error" when it opens a WAL database
// whose shared-memory file cannot grow. The CLI says what that is, and the history survives.

import { assertEquals, assertStringIncludes } from "../support/assert.ts";
import { runCli } from "../support/cli.ts";
import { fillDisk, tmpfsSkipReason, withTmpfs } from "../support/tmpfs.ts";

const IMAGE = "11111111-2222-3333-4444-555555555555";

if (tmpfsSkipReason) console.log(`SKIP: full-disk session test: ${tmpfsSkipReason}`);

Deno.test({
  name: "session database on a full disk: one line naming the cause, exit 1, history kept",
  ignore: tmpfsSkipReason !== undefined,
  fn: () =>
    withTmpfs("contree-full-home-", 2, async (home) => {
      // Nothing listens on port 9: these commands only touch the session database.
      const env = {
        CONTREE_HOME: home,
        CONTREE_URL: "http://127.0.0.1:9",
        CONTREE_TOKEN: "t",
        CONTREE_SESSION: "s",
      };
      const used = await runCli(["use", IMAGE], { env });
      assertEquals(used.code, 0, used.stderr);

      const filler = await fillDisk(home);
      const full = await runCli(["-f", "json", "session", "show"], { env });
      assertEquals(full.code, 1, full.stderr);
      assertEquals(full.stdout, "");
      assertEquals(full.stderr.trim().split("\n").length, 1, full.stderr);
      assertStringIncludes(full.stderr, "Cannot open session database");
      assertStringIncludes(full.stderr, "no space left on the disk");

      await Deno.remove(filler);
      const shown = await runCli(["-f", "json", "session", "show"], { env });
      assertEquals(shown.code, 0, shown.stderr);
      assertEquals(JSON.parse(shown.stdout.trim().split("\n").at(-1)!).image, IMAGE);
    }),
});

// The table's width on a real terminal (tmux, 120 columns): the terminal's own, or COLUMNS when
// it is set, as the reference's shutil.get_terminal_size reads it.

import { COMPILE_PERMISSIONS } from "../../scripts/permissions.ts";
import { assert } from "../support/assert.ts";
import { isolatedEnv, MAIN, tempHome } from "../support/cli.ts";
import { FakeApi } from "../support/fake_api.ts";
import { Terminal, tmuxInstalled } from "../support/tmux.ts";

const PS = [Deno.execPath(), "run", ...COMPILE_PERMISSIONS, "--quiet", MAIN, "ps", "-a"];

(tmuxInstalled() ? Deno.test : Deno.test.ignore)(
  "table: COLUMNS narrows the table on a terminal; without it, the terminal's width",
  async () => {
    const fake = FakeApi.start();
    const { home, cleanup } = await tempHome();
    fake.on("GET", "/v1/operations", () => ({
      json: [{
        uuid: "0b6f2c1e-5d4a-4c3b-9e8f-7a6b5c4d3e2f",
        kind: "instance",
        status: "FAILED",
        created_at: "2026-02-16T21:25:30Z",
        duration: 75.5,
        error: "a row wider than sixty columns",
      }],
    }));
    const env = {
      CONTREE_HOME: home,
      CONTREE_URL: fake.url,
      CONTREE_TOKEN: fake.token,
      TERM: "xterm-256color",
      NO_COLOR: "1",
    };
    const widest = (screen: string) =>
      Math.max(
        ...screen.split("\n").filter((line) => line.includes("UUID")).map((l) =>
          l.trimEnd().length
        ),
      );
    const terminals: Terminal[] = [];
    try {
      const narrow = await Terminal.start(PS, isolatedEnv({ ...env, COLUMNS: "60" }));
      terminals.push(narrow);
      const screen = await narrow.waitFor("[exited with 0]");
      assert(screen.includes("Output truncated to fit terminal"), screen);
      assert(widest(screen) <= 60, screen);
      const wide = await Terminal.start(PS, isolatedEnv(env));
      terminals.push(wide);
      const full = await wide.waitFor("[exited with 0]");
      assert(!full.includes("Output truncated"), full);
      assert(full.includes("wider than sixty columns"), full);
    } finally {
      for (const terminal of terminals) await terminal.close();
      await fake.close();
      await cleanup();
    }
  },
);

// `contree shell` completion follows the profile as the config files have it now, as each line
// does: a local server restarted on another port (or `auth` run meanwhile) is the one asked.
// A real terminal (tmux) and two fake servers, each with its own image tag.

import { COMPILE_PERMISSIONS } from "../../scripts/permissions.ts";
import { assertEquals } from "../support/assert.ts";
import { isolatedEnv, MAIN, runCli, tempHome } from "../support/cli.ts";
import { FakeApi } from "../support/fake_api.ts";
import { Terminal, tmuxInstalled } from "../support/tmux.ts";

const SHELL = [Deno.execPath(), "run", ...COMPILE_PERMISSIONS, "--quiet", MAIN, "shell"];

function serveTag(fake: FakeApi, tag: string, uuid: string): void {
  fake.on("GET", "/v1/images", () => ({
    json: { images: [{ uuid, tag, created_at: "2026-12-01T10:00:00Z" }] },
  }));
}

(tmuxInstalled() ? Deno.test : Deno.test.ignore)(
  "shell: completion asks the server of the profile as it is now, not the one the shell started with",
  async () => {
    const first = FakeApi.start();
    const second = FakeApi.start();
    serveTag(first, "alpha:1", "11111111-1111-4111-8111-111111111111");
    serveTag(second, "beta:1", "22222222-2222-4222-8222-222222222222");
    const { home, cleanup } = await tempHome();
    const env = { CONTREE_HOME: home, CONTREE_SESSION: "complete" };
    const profile = (fake: FakeApi) =>
      runCli(["auth", "-y", "--type", "jwt", "-u", fake.url, "--token", fake.token], { env });
    let term: Terminal | undefined;
    try {
      assertEquals((await profile(first)).code, 0);
      term = await Terminal.start(SHELL, isolatedEnv({ ...env, TERM: "xterm-256color" }));
      const prompt = "/ $ ";
      await term.waitForInput(prompt);
      await term.type("contree use al");
      await term.keys("Tab");
      await term.waitForInput(`${prompt}contree use tag:alpha:1 `);
      await term.keys("C-c");

      // The profile now names the other server (as `server start` rewrites it on a new port).
      const moved = await profile(second);
      assertEquals(moved.code, 0, moved.stderr);
      await term.waitForInput(prompt);
      await term.type("pwd");
      await term.keys("Enter");
      await term.waitFor(/\$ pwd\n\/\n/);
      await term.waitForInput(prompt);
      await term.type("contree use be");
      await term.keys("Tab");
      // Was: the first server's tags, cached or asked again, for the shell's lifetime.
      await term.waitForInput(`${prompt}contree use tag:beta:1 `);
      await term.keys("C-c");
    } finally {
      await term?.close();
      await first.close();
      await second.close();
      await cleanup();
    }
  },
);

// `deno task demo`, the README's first command, from a fresh home on a free port: the local
// server, an offline base image, two runs, the history and the runs' table; then once more on
// the running server, and once its base image is removed from podman behind its back. Its podman
// images are removed as docs/SERVER.md says.

import { assertEquals, assertMatch, assertStringIncludes } from "../support/assert.ts";
import { isolatedEnv, runCli, tempHome } from "../support/cli.ts";
import { podmanEnv, podmanTest, testPodman } from "../support/podman.ts";

const DEMO = new URL("../../scripts/demo.ts", import.meta.url).pathname;

async function demo(env: Record<string, string>, args: string[] = []) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", DEMO, ...args],
    env,
    clearEnv: true,
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Removes podman's images labelled `label`, as docs/SERVER.md says; how many there were. */
async function removeImages(label: string): Promise<number> {
  const images = await testPodman.run(["images", "-q", "--filter", `label=${label}`]);
  const ids = images.stdout.split("\n").filter(Boolean);
  if (ids.length > 0) assertEquals((await testPodman.run(["rmi", "-f", ...ids])).code, 0);
  return ids.length;
}

podmanTest("demo: the main job on the local server, from a fresh home and again", async () => {
  const { home, cleanup } = await tempHome();
  const env = isolatedEnv({ CONTREE_HOME: home, ...podmanEnv() });
  let serverId: string | undefined;
  try {
    const first = await demo(env, ["--port", "0"]);
    assertEquals(first.code, 0, first.stderr);
    assertMatch(first.stdout, /step 5 of 5 at /);
    assertStringIncludes(first.stdout, "made by the first run\n");
    assertStringIncludes(first.stderr, "$ contree server start --detach --port 0");
    // Printed as it can be pasted: the shell script is one quoted word.
    assertStringIncludes(first.stderr, `run --shell -- 'for i in 1 2 3 4 5; do echo "step`);
    assertMatch(first.stderr, /Done\. The session is demo-[0-9a-f]{8}; roll back with/);
    // The last table: this demo's two runs, nothing FAILED.
    const table = first.stdout.slice(first.stdout.lastIndexOf("UUID "));
    assertEquals(table.trim().split("\n").length, 3, table);
    assertEquals(/FAILED/.test(table), false, table);

    const status = await runCli(["-f", "json", "server", "status"], {
      env: { CONTREE_HOME: home },
    });
    assertEquals(status.code, 0, status.stderr);
    serverId = JSON.parse(status.stdout).server_id;

    // Again: the server and the base image are there already.
    const again = await demo(env);
    assertEquals(again.code, 0, again.stderr);
    assertStringIncludes(again.stderr, "The local ConTree server is already running");
    assertStringIncludes(again.stderr, "Base image busybox:latest is there.");
    assertStringIncludes(again.stdout, "made by the first run\n");

    // The base image removed from podman's storage behind the server's back (docs/SERVER.md):
    // its tag still lists it, runs of it fail, so the demo imports it anew.
    const tagged = await runCli(["-p", "local", "-f", "json", "images", "--prefix", "busybox"], {
      env: { CONTREE_HOME: home },
    });
    assertEquals(tagged.code, 0, tagged.stderr);
    const baseUuid = JSON.parse(tagged.stdout.trim().split("\n")[0]).uuid;
    assertEquals(await removeImages(`contree.uuid=${baseUuid}`), 1);
    const gone = await demo(env);
    assertEquals(gone.code, 0, gone.stderr);
    assertStringIncludes(gone.stderr, "Base image busybox:latest is gone from podman's storage");
    assertStringIncludes(gone.stdout, "made by the first run\n");

    const bad = await demo(env, ["--bogus"]);
    assertEquals([bad.code, bad.stderr], [
      2,
      "demo: unknown arguments: --bogus (only --port N is taken)\n",
    ]);
  } finally {
    await runCli(["server", "stop"], { env: { CONTREE_HOME: home } });
    if (serverId) await removeImages(`contree.server=${serverId}`);
    await cleanup();
  }
});

// A home that cannot be written (a read-only mount, a path below a file): commands that only
// cache in the session store still work from the environment; one that must write says so.

import { assertEquals, assertStringIncludes } from "../support/assert.ts";
import { runCli } from "../support/cli.ts";
import { FakeApi } from "../support/fake_api.ts";

const OP = "87654321-9abc-baba-deda-0123456789ab";
const IMAGE = "11111111-2222-3333-4444-555555555555";

Deno.test("an unwritable home: show, cat, ls work without the cache; use fails with one line", async () => {
  const fake = FakeApi.start();
  const dir = await Deno.makeTempDir({ prefix: "contree-unwritable-" });
  // Even root cannot make a directory below a regular file.
  await Deno.writeTextFile(`${dir}/file`, "");
  const env = {
    CONTREE_HOME: `${dir}/file/home`,
    CONTREE_URL: fake.url,
    CONTREE_TOKEN: fake.token,
  };
  fake.on("GET", `/v1/operations/${OP}`, () => ({
    json: {
      uuid: OP,
      kind: "instance",
      status: "SUCCESS",
      metadata: { result: { state: { exit_code: 0 } } },
    },
  }));
  fake.on("GET", `/v1/inspect/${IMAGE}/download`, () => ({ text: "hello\n" }));
  fake.on("GET", `/v1/inspect/${IMAGE}/list`, () => ({
    json: { path: "/etc", files: [{ path: "hosts", is_dir: false, size: 6, mode: "0644" }] },
  }));
  try {
    const shown = await runCli(["-f", "json", "show", OP], { env });
    // Was: "Failed to fetch …: Cannot create the session directory …", exit 1.
    assertEquals([shown.code, shown.stderr], [0, ""]);
    assertEquals(JSON.parse(shown.stdout).uuid, OP);
    const cat = await runCli(["cat", "--image", IMAGE, "/etc/hosts"], { env });
    assertEquals([cat.code, cat.stdout, cat.stderr], [0, "hello\n", ""]);
    const listed = await runCli(["ls", "--image", IMAGE, "/etc"], { env });
    assertEquals(listed.code, 0, listed.stderr);
    assertStringIncludes(listed.stdout, "hosts");
    const debug = await runCli(["-L", "debug", "cat", "--image", IMAGE, "/etc/hosts"], { env });
    assertStringIncludes(debug.stderr, "Working without the session cache");

    const used = await runCli(["use", IMAGE], { env });
    assertEquals(used.code, 1);
    assertStringIncludes(used.stderr, "Cannot create the session directory");
    assertEquals(used.stderr.trim().split("\n").length, 1, used.stderr);
  } finally {
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
});

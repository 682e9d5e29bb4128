// A download cut short where nothing frames its end — no Content-Length, no gzip trailer (an
// HTTP/1.0-style proxy, or a chunked body ended early): `cp` and `cat` hold it against the size
// the listing gives, instead of keeping (and caching) the part that arrived.

import { assertEquals, assertStringIncludes } from "../support/assert.ts";
import { apiEnv, runCli, tempHome } from "../support/cli.ts";
import { FakeApi } from "../support/fake_api.ts";
import { FaultProxy, PASS } from "../support/fault_proxy.ts";
import { IMAGE } from "../support/images.ts";
import { prng } from "../support/prng.ts";

const SIZE = 3 << 20;

Deno.test("cp and cat: a download cut where nothing frames its end fails, and nothing is kept", async () => {
  const fake = FakeApi.start();
  const proxy = new FaultProxy({ hostname: "127.0.0.1", port: fake.port });
  const { home, cleanup } = await tempHome();
  try {
    const random = prng(7);
    const bytes = Uint8Array.from({ length: SIZE }, () => Math.floor(random() * 256));
    const small = new TextEncoder().encode("a small file\n".repeat(1000));
    fake.on("GET", `/v1/inspect/${IMAGE}/list`, () => ({
      json: {
        path: "/data",
        files: [
          { path: "blob", size: SIZE, is_regular: true, mode: 0o100644 },
          { path: "small", size: small.length, is_regular: true, mode: 0o100644 },
        ],
      },
    }));
    fake.on("GET", `/v1/inspect/${IMAGE}/download`, (request) => ({
      bytes: request.query.get("path") === "/data/blob" ? bytes : small,
      identity: true,
      headers: { "content-type": "application/octet-stream" },
    }));
    // The proxy re-frames every body as chunked without Content-Length; this ends it early.
    let cut = true;
    proxy.plan = (request) => cut && request.path.endsWith("/download") ? { endAfter: 5000 } : PASS;
    const env = apiEnv({ url: proxy.url, token: fake.token }, home);
    const cli = (args: string[]) => runCli(["--session", "dl", ...args], { env, cwd: home });
    assertEquals((await cli(["use", IMAGE])).code, 0);

    // Was: "[INFO] Written …", exit 0, and a file of 5,000 of 3 MiB bytes.
    const copied = await cli(["cp", "/data/blob", "blob"]);
    assertEquals(copied.code, 1, copied.stderr);
    assertStringIncludes(copied.stderr, `the download broke: 5000 of ${SIZE} bytes`);
    assertEquals([...Deno.readDirSync(home)].some((entry) => entry.name.includes("blob")), false);
    const catted = await cli(["cat", "/data/small"]);
    assertEquals(catted.code, 1, catted.stderr);
    assertStringIncludes(catted.stderr, `the download broke: 5000 of ${small.length} bytes`);

    // The whole file afterwards: cat was not served a cut copy from its cache.
    cut = false;
    const whole = await cli(["cat", "/data/small"]);
    assertEquals([whole.code, whole.stdout.length], [0, small.length]);
    const again = await cli(["cp", "/data/blob", "blob"]);
    assertEquals(again.code, 0, again.stderr);
    assertEquals(await Deno.readFile(`${home}/blob`), bytes);
  } finally {
    await proxy.close();
    await fake.close();
    await cleanup();
  }
});

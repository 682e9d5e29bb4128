// grep of an image on real podman (API spec §3.7): ripgrep over the image mounted read-only —
// matches in ripgrep's shape, context lines, several patterns, case, globs, limits and
// truncation, non-UTF-8 lines, and symlinks that never lead to the host.

import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { podmanTest } from "../support/podman.ts";
import { startTestServer, type TestServer, waitOperation } from "../support/server.ts";

async function grep(s: TestServer, image: string, query: string) {
  const response = await s.fetch(`/inspect/${image}/grep?${query}`);
  return { status: response.status, body: await response.json() };
}

podmanTest("server on podman: grep inside an image", async (t) => {
  const s = await startTestServer({ busybox: true });
  // A file on the host that the image links to: grep must never read it.
  const hostDir = await Deno.makeTempDir({ prefix: "contree-grep-host-" });
  await Deno.writeTextFile(`${hostDir}/secret.txt`, "HOSTMARKER\n");
  try {
    const { uuid } = await s.client.spawn({
      image: s.busybox,
      shell: true,
      command: [
        "mkdir -p /data/sub /srv",
        "printf 'hello world\\nfoo bar\\nhello again\\n' > /data/a.txt",
        "printf 'x\\377 hello\\n' > /data/sub/b.bin",
        "echo 'hello hidden' > /data/.hidden",
        "seq 1 50 > /data/many.txt",
        `ln -s ${hostDir} /data/hostlink`,
        `ln -s ../../../../../../..${hostDir} /data/up`,
        "echo HOSTMARKER-in-image > /srv/inside.txt",
      ].join(" && "),
    });
    const made = await waitOperation(s.client, uuid);
    assertEquals(made.status, "SUCCESS");
    const image = made.result_image_uuid!;

    await t.step("matches and context lines in ripgrep's shape", async () => {
      const { status, body } = await grep(
        s,
        image,
        "pattern=hello&pattern=again&path=/data/a.txt&after=1",
      );
      assertEquals(status, 200);
      assertEquals(body, {
        path: "/data/a.txt",
        patterns: ["hello", "again"],
        truncated: false,
        matches: [
          {
            path: "/data/a.txt",
            line_number: 1,
            absolute_offset: 0,
            line_text: "hello world\n",
            line_bytes: null,
            submatches: [{ text: "hello", start: 0, end: 5 }],
            type: "match",
          },
          {
            path: "/data/a.txt",
            line_number: 2,
            absolute_offset: 12,
            line_text: "foo bar\n",
            line_bytes: null,
            submatches: [],
            type: "context",
          },
          {
            path: "/data/a.txt",
            line_number: 3,
            absolute_offset: 20,
            line_text: "hello again\n",
            line_bytes: null,
            submatches: [
              { text: "hello", start: 0, end: 5 },
              { text: "again", start: 6, end: 11 },
            ],
            type: "match",
          },
        ],
      });
    });

    await t.step("a directory: hidden files and non-UTF-8 lines; case; globs", async () => {
      const all = (await grep(s, image, "pattern=hello&path=/data")).body;
      const paths = all.matches.map((m: { path: string }) => m.path).sort();
      assertEquals([...new Set(paths)], ["/data/.hidden", "/data/a.txt", "/data/sub/b.bin"]);
      const binary = all.matches.find((m: { path: string }) => m.path === "/data/sub/b.bin");
      assertEquals(binary.line_bytes, btoa("x\xff hello\n"));
      assertEquals(binary.line_text, "x\ufffd hello\n");
      assertEquals(binary.submatches, [{ text: "hello", start: 3, end: 8 }]);
      assertEquals((await grep(s, image, "pattern=HELLO&path=/data")).body.matches, []);
      const insensitive = await grep(s, image, "pattern=HELLO&path=/data&case=insensitive");
      assertEquals(insensitive.body.matches.length, all.matches.length);
      const globbed = await grep(s, image, "pattern=hello&path=/data&glob=*.txt");
      assertEquals(
        [...new Set(globbed.body.matches.map((m: { path: string }) => m.path))],
        ["/data/a.txt"],
      );
    });

    await t.step("limits: max_count per file, max_total in all, then truncated", async () => {
      const total = await grep(s, image, "pattern=^[0-9]%2B$&path=/data/many.txt&max_total=10");
      assertEquals(total.body.matches.length, 10);
      assertEquals(total.body.truncated, true);
      const perFile = await grep(s, image, "pattern=^[0-9]%2B$&path=/data&max_count=3");
      assertEquals(perFile.body.matches.length, 3);
      assertEquals(perFile.body.truncated, false);
      const all = await grep(s, image, "pattern=^[0-9]%2B$&path=/data/many.txt");
      assertEquals([all.body.matches.length, all.body.truncated], [50, false]);
    });

    await t.step("symlinks never lead to the host", async () => {
      // Inside the tree symlinks are not followed; as the search path they resolve in the image.
      const tree = await grep(s, image, "pattern=HOSTMARKER");
      assertEquals(tree.status, 200);
      assertEquals(tree.body.matches.map((m: { path: string }) => m.path), ["/srv/inside.txt"]);
      for (const path of ["/data/hostlink", "/data/up"]) {
        const { status, body } = await grep(s, image, `pattern=HOSTMARKER&path=${path}`);
        assertEquals(status, 404, `${path}: ${JSON.stringify(body)}`);
        assert(!JSON.stringify(body).includes("secret"));
      }
    });

    await t.step(
      "bad requests: no pattern, bad regex, bad limits, missing or escaping paths",
      async () => {
        assertEquals((await grep(s, image, "path=/data")).status, 400);
        const regex = await grep(s, image, "pattern=(");
        assertEquals(regex.status, 400);
        assertMatch(regex.body.error, /regex parse error/);
        assert(!regex.body.error.includes("/var/lib/containers"));
        assertEquals((await grep(s, image, "pattern=x&max_total=0")).status, 400);
        assertEquals((await grep(s, image, "pattern=x&case=loud")).status, 400);
        assertEquals((await grep(s, image, "pattern=x&path=/nope")).status, 404);
        assertEquals((await grep(s, image, "pattern=x&path=/../..")).status, 400);
        assertEquals((await grep(s, crypto.randomUUID(), "pattern=x")).status, 404);
        assertEquals((await grep(s, image, "pattern=nothing-matches-this")).body.matches, []);
      },
    );
  } finally {
    await Deno.remove(hostDir, { recursive: true });
    await s.cleanup();
  }
});

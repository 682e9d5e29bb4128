// Inspecting images without running them, and importing a docker:// reference from local podman
// storage (offline).

import { assert, assertEquals, assertMatch, assertStringIncludes } from "../support/assert.ts";
import { ensureBusyboxImage, podmanTest, testPodman } from "../support/podman.ts";
import { startTestServer, waitOperation } from "../support/server.ts";

const BUSYBOX_PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n";

async function tarList(bytes: Uint8Array): Promise<string[]> {
  const child = new Deno.Command("tar", { args: ["-tf", "-"], stdin: "piped", stdout: "piped" })
    .spawn();
  const writer = child.stdin.getWriter();
  await writer.write(bytes);
  await writer.close();
  const out = await child.output();
  return new TextDecoder().decode(out.stdout).trim().split("\n");
}

podmanTest("server on podman: inspect and docker:// import", async (t) => {
  const s = await startTestServer({ busybox: true });
  try {
    const { uuid } = await s.client.spawn({
      image: s.busybox,
      shell: true,
      command: [
        "mkdir -p /data/sub",
        "echo hello > /data/file.txt",
        "chmod 0600 /data/file.txt",
        "chown 1234:99 /data/file.txt",
        "echo nested > /data/sub/n.txt",
        "ln -s /etc/passwd /data/abs-link",
        "ln -s ../../../../../../etc/group /data/rel-link",
        "ln -s /data/sub /data/dirlink",
        "mkfifo /data/fifo",
        "ln -s / /rootlink",
      ].join(" && "),
    });
    const made = await waitOperation(s.client, uuid);
    assertEquals(made.status, "SUCCESS");
    const image = made.result_image_uuid!;
    const get = (what: string, path: string, init?: RequestInit) =>
      s.fetch(`/inspect/${image}/${what}?path=${encodeURIComponent(path)}`, init);

    await t.step("list: FileItem rows and the text listing", async () => {
      const list = await s.client.listDirectory(image, "/data");
      assertEquals(list.path, "/data");
      assertEquals(list.files.map((f) => f.path), [
        "abs-link",
        "dirlink",
        "fifo",
        "file.txt",
        "rel-link",
        "sub",
      ]);
      const file = list.files.find((f) => f.path === "file.txt")!;
      assertEquals(
        [file.size, file.mode, file.uid, file.gid, file.owner, file.is_regular, file.is_dir],
        [6, 0o100600, 1234, 99, 1234, true, false],
      );
      const link = list.files.find((f) => f.path === "abs-link")!;
      assertEquals([link.is_symlink, link.symlink_to], [true, "/etc/passwd"]);
      assertEquals(list.files.find((f) => f.path === "fifo")!.is_fifo, true);
      assertEquals(list.files.find((f) => f.path === "sub")!.owner, "root");
      const text = await s.client.listDirectoryText(image, "/data");
      assertMatch(text, /^-rw------- 1 1234 99 +6 \d{4}-\d\d-\d\d \d\d:\d\d file\.txt$/m);
      assertStringIncludes(text, "abs-link -> /etc/passwd");
      const bareFlag = await s.fetch(`/inspect/${image}/list?path=/data&text=`);
      assertEquals(await bareFlag.text(), text);
      const followed = await s.client.listDirectory(image, "/data/dirlink");
      assertEquals([followed.path, followed.files.map((f) => f.path)], ["/data/sub", ["n.txt"]]);
      assertEquals((await get("list", "/data/file.txt")).status, 422);
      assertEquals((await get("list", "/nope")).status, 404);
    });

    await t.step(
      "list: a directory of 20,000 entries streams, as one JSON document would be",
      async () => {
        const { uuid } = await s.client.spawn({
          image,
          shell: true,
          command: "mkdir /many && cd /many && seq -w 1 20000 | xargs touch",
        });
        const made = await waitOperation(s.client, uuid);
        assertEquals(made.status, "SUCCESS", made.error ?? "");
        const many = made.result_image_uuid!;
        const body = await (await s.fetch(`/inspect/${many}/list?path=/many`)).text();
        const list = JSON.parse(body);
        // The bytes JSON.stringify gives the same document: the pieces join up exactly.
        assertEquals(body, JSON.stringify(list));
        assertEquals(list.path, "/many");
        assertEquals(list.files.length, 20_000);
        assertEquals([list.files[0].path, list.files.at(-1).path], ["00001", "20000"]);
        const text = await s.client.listDirectoryText(many, "/many");
        const lines = text.split("\n");
        assertEquals(lines.length, 20_001);
        assertMatch(lines[19_999], /^-rw-r--r-- 1 root root 0 \d{4}-\d\d-\d\d \d\d:\d\d 20000$/);
        assertEquals(
          await (await s.fetch(`/inspect/${many}/list?path=/`)).json().then((l) =>
            l.files.some((f: { path: string }) => f.path === "many")
          ),
          true,
        );
      },
    );

    await t.step("download: bytes, symlinks resolved inside the image, 404/422, HEAD", async () => {
      const file = await s.client.download(image, "/data/file.txt");
      assertEquals(await file.text(), "hello\n");
      assertEquals(await (await get("download", "/data/abs-link")).text(), BUSYBOX_PASSWD);
      // A relative link climbing above the root stays inside the image.
      assertEquals(
        await (await get("download", "/data/rel-link")).text(),
        "root:x:0:\nnogroup:x:65534:\n",
      );
      assertEquals((await get("download", "/data")).status, 422);
      assertEquals((await get("download", "/data/missing")).status, 404);
      // `file/` names a directory, as in POSIX: not the file (it was read as the file).
      for (const what of ["download", "list", "archive"]) {
        assertEquals((await get(what, "/data/file.txt/")).status, 404, what);
        assertEquals((await get(what, "/data/abs-link/.")).status, 404, what);
      }
      assertEquals((await get("download", "/data/dirlink/")).status, 422);
      assertEquals((await s.client.listDirectory(image, "/data/dirlink/")).path, "/data/sub");
      assertEquals((await get("download", "/../etc/passwd")).status, 400);
      const head = await get("download", "/data/file.txt", { method: "HEAD" });
      assertEquals([head.status, await head.text()], [200, ""]);
      assertEquals((await get("download", "/data/missing", { method: "HEAD" })).status, 404);
    });

    await t.step("archive: a tar of the subtree with relative member names", async () => {
      const response = await s.client.archive(image, "/data");
      assertEquals(response.headers.get("content-type"), "application/x-tar");
      const names = await tarList(new Uint8Array(await response.arrayBuffer()));
      assertEquals(names, [
        "data/",
        "data/abs-link",
        "data/dirlink",
        "data/fifo",
        "data/file.txt",
        "data/rel-link",
        "data/sub/",
        "data/sub/n.txt",
      ]);
      // A link to a directory is archived under the name asked for (was `sub/…`: the target's).
      const viaLink = await s.client.archive(image, "/data/dirlink");
      assertEquals(await tarList(new Uint8Array(await viaLink.arrayBuffer())), [
        "dirlink/",
        "dirlink/n.txt",
      ]);
      const root = await tarList(new Uint8Array(await (await get("archive", "/")).arrayBuffer()));
      assert(root.includes("etc/passwd") && root.every((name) => !name.startsWith("/")));
      assertEquals(root[0], "./", "the root itself first: its mode reaches the copy");
      assertEquals((await get("archive", "/data", { method: "HEAD" })).status, 200);
      assertEquals((await get("archive", "/nope", { method: "HEAD" })).status, 404);
      assertEquals((await get("archive", "/nope")).status, 404);
    });

    await t.step("a link to the root, named as a directory (`link/`), is the root", async () => {
      // Was 404: the resolution ended at the root with no part's information to go by.
      for (const path of ["/rootlink/", "/rootlink/.", "/data/sub/../../rootlink/"]) {
        const list = await s.client.listDirectory(image, path);
        assert(list.files.some((f) => f.path === "etc"), `${path}: ${JSON.stringify(list)}`);
        assertEquals((await get("archive", path, { method: "HEAD" })).status, 200, path);
      }
      assertEquals((await s.client.listDirectory(image, "/data/sub/..")).files.length, 6);
    });

    await t.step("an image unmounted behind the server's back is mounted again", async () => {
      assertEquals((await s.client.listDirectory(image, "/data")).files.length, 6);
      // Another podman user's clean-up (or `podman image unmount`) takes the server's mount.
      const unmounted = await testPodman.run(["image", "unmount", `localhost/contree/${image}`]);
      assertEquals(unmounted.code, 0, unmounted.stderr);
      const again = await s.client.listDirectory(image, "/data");
      assertEquals(again.files.map((f) => f.path).includes("file.txt"), true);
      assertEquals(await (await get("download", "/data/file.txt")).text(), "hello\n");
    });

    await t.step(
      "an image removed behind the server's back is a 404 at once, not a 500",
      async () => {
        const { uuid } = await s.client.spawn({ image: s.busybox, command: "true" });
        const gone = (await waitOperation(s.client, uuid)).result_image_uuid!;
        const removed = await testPodman.run(["rmi", "-f", `localhost/contree/${gone}`]);
        assertEquals(removed.code, 0, removed.stderr);
        const listed = await s.fetch(`/inspect/${gone}/list?path=/`);
        assertEquals(listed.status, 404);
        assertStringIncludes((await listed.json()).error, "gone from podman's storage");
        // A run from it fails saying so, not as a process that exited 125 with podman's words.
        const run = await waitOperation(
          s.client,
          (await s.client.spawn({ image: gone, command: "true" })).uuid,
        );
        assertEquals(run.status, "FAILED");
        assertStringIncludes(run.error ?? "", `image ${gone} is gone from podman's storage`);
        assertEquals(run.metadata?.result, undefined, "no process ran");
        // Removed while the server holds a mount of it (a listing came first): the mount still
        // reads, but podman cannot run it, and the run says why in the same words.
        const held = (await waitOperation(
          s.client,
          (await s.client.spawn({ image: s.busybox, command: "true" })).uuid,
        )).result_image_uuid!;
        const mounted = await s.fetch(`/inspect/${held}/list?path=/`);
        assertEquals(mounted.status, 200);
        await mounted.body?.cancel();
        assertEquals((await testPodman.run(["rmi", "-f", `localhost/contree/${held}`])).code, 0);
        const heldRun = await waitOperation(
          s.client,
          (await s.client.spawn({ image: held, command: "true" })).uuid,
        );
        assertEquals(heldRun.status, "FAILED");
        assertEquals(
          heldRun.error,
          `image ${held} is gone from podman's storage (removed outside contree)`,
        );
      },
    );

    await t.step("docker:// imports a reference from local podman storage", async () => {
      const reference = await ensureBusyboxImage();
      const { uuid } = await s.client.importImage({
        registry: { url: `docker://${reference}` },
        tag: "busybox:docker",
      });
      const op = await waitOperation(s.client, uuid);
      assertEquals(op.status, "SUCCESS", op.error ?? "");
      assertEquals(op.result, { image: op.result_image_uuid, tag: "busybox:docker" });
      assertEquals(await s.client.lookupTag("busybox:docker"), op.result_image_uuid);
      const passwd = await s.client.download(op.result_image_uuid!, "/etc/passwd");
      assertEquals(await passwd.text(), BUSYBOX_PASSWD);
    });
  } finally {
    await s.cleanup();
  }
});

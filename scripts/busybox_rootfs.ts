// A minimal root filesystem built from the host's busybox-static: the offline base image for
// the demo and the podman integration tests (no container registry is reachable there).

/** Where the host's static busybox lives, if installed. */
export function busyboxPath(): string | undefined {
  for (const path of ["/usr/bin/busybox", "/bin/busybox"]) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // try the next one
    }
  }
  return undefined;
}
/** A rootfs tarball with busybox and its applet links (sh, ls, cat, echo, sleep, …). */
export async function busyboxRootfsTar(): Promise<Uint8Array> {
  const busybox = busyboxPath();
  if (!busybox) throw new Error("busybox-static is not installed");
  const root = await Deno.makeTempDir({ prefix: "contree-rootfs-" });
  try {
    await Deno.mkdir(`${root}/bin`, { recursive: true });
    for (const dir of ["etc", "tmp", "root", "proc", "sys", "dev", "usr/bin"]) {
      await Deno.mkdir(`${root}/${dir}`, { recursive: true });
    }
    await Deno.copyFile(busybox, `${root}/bin/busybox`);
    await Deno.chmod(`${root}/bin/busybox`, 0o755);
    await Deno.chmod(`${root}/tmp`, 0o1777);
    await Deno.writeTextFile(
      `${root}/etc/passwd`,
      "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n",
    );
    await Deno.writeTextFile(`${root}/etc/group`, "root:x:0:\nnogroup:x:65534:\n");
    const list = await new Deno.Command(busybox, { args: ["--list"], stdout: "piped" }).output();
    for (const applet of new TextDecoder().decode(list.stdout).split("\n").filter(Boolean)) {
      if (applet === "busybox") continue;
      await Deno.symlink("busybox", `${root}/bin/${applet}`).catch(() => {});
    }
    const tar = await new Deno.Command("tar", {
      args: ["-C", root, "-cf", "-", "."],
      stdout: "piped",
    }).output();
    if (!tar.success) throw new Error("tar of the busybox rootfs failed");
    return tar.stdout;
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

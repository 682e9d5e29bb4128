// Small tmpfs mounts for storage-fault tests (a full disk, a read-only store), on real file
// systems. They need `mount` (root; nothing in /etc is changed): where it is not allowed,
// `tmpfsSkipReason` says why and the tests are ignored with a SKIP line.

async function mount(args: string[]): Promise<void> {
  const out = await new Deno.Command("mount", { args, stderr: "piped", stdout: "null" }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr).trim());
}

export async function unmount(dir: string): Promise<void> {
  await new Deno.Command("umount", { args: [dir], stderr: "null", stdout: "null" }).output();
}

/** Mounts a tmpfs of `mib` MiB on the existing directory `dir`. */
export const mountTmpfs = (dir: string, mib: number) =>
  mount(["-t", "tmpfs", "-o", `size=${mib}m`, "tmpfs", dir]);

export const remountReadOnly = (dir: string) => mount(["-o", "remount,ro", dir]);

/** Probed once per test module: can this process mount a tmpfs? */
export const tmpfsSkipReason = await (async () => {
  const dir = await Deno.makeTempDir({ prefix: "contree-tmpfs-probe-" });
  try {
    await mountTmpfs(dir, 1);
    await unmount(dir);
    return undefined;
  } catch (error) {
    return `cannot mount a tmpfs here: ${(error as Error).message}`;
  } finally {
    await Deno.remove(dir).catch(() => {});
  }
})();

/** Runs `fn` on a fresh temporary directory with a tmpfs of `mib` MiB mounted on it. */
export async function withTmpfs<T>(
  prefix: string,
  mib: number,
  fn: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix });
  await mountTmpfs(dir, mib);
  try {
    return await fn(dir);
  } finally {
    await unmount(dir);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Fills the file system of `dir` with one file, leaving `leaveBytes` free; returns its path. */
export async function fillDisk(dir: string, leaveBytes = 0): Promise<string> {
  const out = await new Deno.Command("df", { args: ["--output=avail", "-B1", dir] }).output();
  const free = Number(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1));
  const filler = `${dir}/filler`;
  await Deno.writeFile(filler, new Uint8Array(Math.max(0, free - leaveBytes)));
  return filler;
}

// Shared podman support for integration tests: the project's containers.conf, an availability
// probe (tests print one SKIP line and are ignored where podman cannot run), and a busybox test
// image imported from the host's busybox-static (no registry is reachable).

import { busyboxPath, busyboxRootfsTar } from "../../scripts/busybox_rootfs.ts";

export { busyboxRootfsTar };

export const CONTAINERS_CONF = new URL("../podman/containers.conf", import.meta.url).pathname;
export const BUSYBOX_IMAGE = "localhost/contree-test-busybox:latest";

/** The environment podman runs with in tests. */
export function podmanEnv(): Record<string, string> {
  return { CONTAINERS_CONF };
}

async function podman(args: string[], stdin?: Uint8Array): Promise<Deno.CommandOutput> {
  const child = new Deno.Command("podman", {
    args,
    env: podmanEnv(),
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin) {
    const writer = child.stdin.getWriter();
    await writer.write(stdin);
    await writer.close();
  }
  return await child.output();
}

let availability: Promise<string | undefined> | undefined;

/** Undefined when podman can run containers here; otherwise why not. */
export function podmanUnavailable(): Promise<string | undefined> {
  availability ??= (async () => {
    try {
      const out = await podman(["info", "--format", "{{.Host.OCIRuntime.Name}}"]);
      if (!out.success) return `podman info failed: ${new TextDecoder().decode(out.stderr).trim()}`;
    } catch (error) {
      return `podman not found (${(error as Error).message})`;
    }
    const busybox = busyboxPath();
    if (!busybox) return "busybox-static not installed (/usr/bin/busybox or /bin/busybox)";
    return undefined;
  })();
  return availability;
}

/**
 * Registers `fn` as a test that needs podman: ignored with a clear SKIP line where podman
 * cannot run. Use as `podmanTest("name", async () => {...})`.
 */
export function podmanTest(name: string, fn: (t: Deno.TestContext) => Promise<void>): void {
  Deno.test({
    name,
    // Decided at registration time: deno test needs `ignore` up front.
    ignore: podmanSkipReason !== undefined,
    sanitizeOps: false,
    sanitizeResources: false,
    fn,
  });
}

/** Probed once per test module at load time (top-level await in the module importing this). */
export const podmanSkipReason: string | undefined = await podmanUnavailable();
if (podmanSkipReason) console.log(`SKIP: podman integration tests: ${podmanSkipReason}`);

/** Imports the busybox image once (idempotent) and returns its name. */
export async function ensureBusyboxImage(name = BUSYBOX_IMAGE): Promise<string> {
  const exists = await podman(["image", "exists", name]);
  if (exists.success) return name;
  const out = await podman(["import", "-", name], await busyboxRootfsTar());
  if (!out.success) {
    throw new Error(`podman import failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return name;
}

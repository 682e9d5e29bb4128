// Shared podman support for integration tests: the project's containers.conf, an availability
// probe (tests print one SKIP line and are ignored where podman cannot run), and a busybox test
// image imported from the host's busybox-static (no registry is reachable).

import { busyboxPath, busyboxRootfsTar } from "../../scripts/busybox_rootfs.ts";
import { CommandPodmanRunner, runChecked } from "../../src/podman.ts";

export { busyboxRootfsTar };

export const CONTAINERS_CONF = new URL("../podman/containers.conf", import.meta.url).pathname;
export const BUSYBOX_IMAGE = "localhost/contree-test-busybox:latest";

/** The environment podman runs with in tests. */
export function podmanEnv(): Record<string, string> {
  return { CONTAINERS_CONF };
}

/** How code under test starts the real podman: this process's environment plus podmanEnv(). */
export const TEST_PODMAN_OPTIONS = { env: { ...Deno.env.toObject(), ...podmanEnv() } };

/** The real podman, as the tests' own setup and checks run it. */
export const testPodman = new CommandPodmanRunner(TEST_PODMAN_OPTIONS);

let availability: Promise<string | undefined> | undefined;

/** Undefined when podman can run containers here; otherwise why not. */
export function podmanUnavailable(): Promise<string | undefined> {
  availability ??= (async () => {
    try {
      const out = await testPodman.run(["info", "--format", "{{.Host.OCIRuntime.Name}}"]);
      if (out.code !== 0) return `podman info failed: ${out.stderr.trim()}`;
    } catch (error) {
      return (error as Error).message;
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
  const exists = await testPodman.run(["image", "exists", name]);
  if (exists.code === 0) return name;
  await runChecked(testPodman, ["import", "-", name], { stdin: await busyboxRootfsTar() });
  return name;
}

// Registering a new image retries `podman image inspect` while podman reports another image as
// half-written (podman 4.3 under concurrent commits); any other failure is not retried.

import { PodmanFailed } from "../../src/podman.ts";
import { ImageCatalog } from "../../src/server/images.ts";
import { Store } from "../../src/server/store.ts";
import { assertEquals, assertRejects } from "../support/assert.ts";
import { FakePodman } from "../support/fake_podman.ts";

const HALF_WRITTEN = 'Error: locating item named "manifest" for image with ID "b51f04dd" ' +
  "(consider removing the image to resolve the issue): file does not exist\n";
const ID = "a".repeat(64);

/** A podman whose image inspects fail with the given stderr texts first, then answer. */
function scriptedPodman(failures: string[]): FakePodman {
  return new FakePodman().override((args) => {
    if (args[0] !== "image" || args[1] !== "inspect") return undefined;
    const stderr = failures.shift();
    if (stderr !== undefined) return { code: 125, stdout: "", stderr };
    return { code: 0, stdout: `${ID}\t1234\t["PATH=/bin"]\n`, stderr: "" };
  });
}

async function register(podman: FakePodman) {
  const store = Store.open(":memory:");
  try {
    const catalog = new ImageCatalog(podman, store, "server-1");
    return await catalog.register(
      { uuid: crypto.randomUUID(), operationUuid: "op", tag: null },
      {},
    );
  } finally {
    store.close();
  }
}

Deno.test("images: inspect of a new image is retried while another image is half-written", async () => {
  const podman = scriptedPodman([HALF_WRITTEN, HALF_WRITTEN]);
  const row = await register(podman);
  assertEquals(podman.calls.length, 3);
  assertEquals([row.podman_id, row.size, row.config_env], [ID, 1234, ["PATH=/bin"]]);
});

Deno.test("images: other inspect failures are not retried", async () => {
  const podman = scriptedPodman(["Error: no such image\n"]);
  await assertRejects(() => register(podman), PodmanFailed);
  assertEquals(podman.calls.length, 1);
});

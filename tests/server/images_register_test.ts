// Registering a new image retries `podman image inspect` while podman reports another image as
// half-written (podman 4.3 under concurrent commits); any other failure is not retried.

import { ImageCatalog } from "../../src/server/images.ts";
import { Podman, PodmanError } from "../../src/server/podman.ts";
import { Store } from "../../src/server/store.ts";
import { assertEquals, assertRejects } from "../support/assert.ts";

const HALF_WRITTEN = 'Error: locating item named "manifest" for image with ID "b51f04dd" ' +
  "(consider removing the image to resolve the issue): file does not exist\n";
const ID = "a".repeat(64);

/** A podman whose `ok` fails with the given stderr texts first, then answers an inspect. */
class ScriptedPodman extends Podman {
  readonly calls: string[][] = [];
  constructor(private readonly failures: string[]) {
    super();
  }
  override ok(args: string[]): Promise<string> {
    this.calls.push(args);
    const stderr = this.failures.shift();
    if (stderr !== undefined) return Promise.reject(new PodmanError(args, 125, stderr));
    return Promise.resolve(`${ID}\t1234\t["PATH=/bin"]`);
  }
}

async function register(podman: ScriptedPodman) {
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
  const podman = new ScriptedPodman([HALF_WRITTEN, HALF_WRITTEN]);
  const row = await register(podman);
  assertEquals(podman.calls.length, 3);
  assertEquals([row.podman_id, row.size, row.config_env], [ID, 1234, ["PATH=/bin"]]);
});

Deno.test("images: other inspect failures are not retried", async () => {
  const podman = new ScriptedPodman(["Error: no such image\n"]);
  await assertRejects(() => register(podman), PodmanError);
  assertEquals(podman.calls.length, 1);
});

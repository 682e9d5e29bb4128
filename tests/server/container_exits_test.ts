// conmon's exit files as the server reads them (src/server/container_exits.ts), written here as
// conmon writes them: aside, then renamed into place. The real thing: podman_faults_test.ts.

import { ContainerExits } from "../../src/server/container_exits.ts";
import { assertEquals } from "../support/assert.ts";

const ID_A = "a".repeat(64);
const ID_B = "b".repeat(64);

/** Writes `code` for container `id` the way conmon does. */
async function conmonWrites(directory: string, id: string, code: string): Promise<void> {
  await Deno.writeTextFile(`${directory}/${id}.X1Y2Z3`, code);
  await Deno.rename(`${directory}/${id}.X1Y2Z3`, `${directory}/${id}`);
}

Deno.test("container exits: the code of the watched container, once conmon has written it", async () => {
  const root = await Deno.makeTempDir({ prefix: "contree-exits-" });
  const directory = `${root}/exits`;
  await Deno.mkdir(directory);
  const exits = new ContainerExits(directory);
  try {
    await Deno.writeTextFile(`${root}/a.cid`, `${ID_A}\n`);
    await Deno.writeTextFile(`${root}/b.cid`, ID_B);
    const a = exits.watch(`${root}/a.cid`);
    const b = exits.watch(`${root}/b.cid`);
    let bSettled = false;
    b.code.then(() => bSettled = true);
    // Another container's exit, an unreadable code and a stray file settle nothing.
    await conmonWrites(directory, "c".repeat(64), "1");
    await Deno.writeTextFile(`${directory}/${ID_B}`, "not a code");
    await Deno.writeTextFile(`${directory}/stray`, "0");
    await conmonWrites(directory, ID_A, "3");
    assertEquals(await a.code, 3);
    assertEquals(bSettled, false);
    await conmonWrites(directory, ID_B, "137");
    assertEquals(await b.code, 137);
    a.close();
    b.close();
  } finally {
    exits.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("container exits: no directory, no watch (the caller waits for podman)", async () => {
  const root = await Deno.makeTempDir({ prefix: "contree-exits-" });
  const exits = new ContainerExits(`${root}/missing`);
  try {
    const exit = exits.watch(`${root}/a.cid`);
    const first = await Promise.race([exit.code, Promise.resolve("unsettled")]);
    assertEquals(first, "unsettled");
    exit.close();
  } finally {
    exits.close(); // nothing was opened: the test's resource check would say otherwise
    await Deno.remove(root, { recursive: true });
  }
});

import { ContreeError, UsageError } from "../../src/errors.ts";
import {
  CROCKFORD,
  generateTaskId,
  ID_HEAD,
  isTaskId,
  normaliseTaskIdInput,
  resolveTaskId,
} from "../../src/tasks/identity.ts";
import { dossierPath, writeTaskMeta } from "../../src/tasks/meta.ts";
import { cryptoRandomInt } from "../../src/tasks/context.ts";
import {
  assert,
  assertEquals,
  assertMatch,
  assertNotEquals,
  assertRejects,
  assertThrows,
} from "../support/assert.ts";
import { sequenceRandom } from "../support/tasks.ts";

Deno.test("generated IDs: head letter outside hex, a digit, three Crockford chars", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 500; i++) {
    const id = generateTaskId(seen, cryptoRandomInt);
    assertMatch(id, /^[ghjkmnp-tv-z][0-9][0-9a-hjkmnp-tv-z]{3}$/);
    assert(isTaskId(id));
    assert(!seen.has(id), "an ID is never reissued");
    seen.add(id);
  }
  assert(!/[ilou]/.test(CROCKFORD) && !/[0-9a-f]/.test(ID_HEAD));
});

Deno.test("ID generation skips existing IDs and gives up after 100 collisions", () => {
  const fixed = sequenceRandom([0]); // always "g0000"
  assertEquals(generateTaskId(new Set(), fixed), "g0000");
  const error = assertThrows(() => generateTaskId(new Set(["g0000"]), fixed), Error);
  assertEquals(error.message, "Failed to generate unique task ID after 100 attempts");
  assert(!(error instanceof ContreeError), "exhaustion is an internal error");
  // 100 collisions then a free one still succeeds on the last attempt.
  let calls = 0;
  const lateFree = (n: number) => (calls++ < 99 * 5 ? 0 : 1) % n;
  assertEquals(generateTaskId(new Set(["g0000"]), lateFree), "h1111");
});

Deno.test("input normalisation: hyphens, case and Crockford look-alikes", () => {
  assertEquals(normaliseTaskIdInput("K3-V8H"), "k3v8h");
  assertEquals(normaliseTaskIdInput("K3VOH"), "k3v0h");
  assertEquals(normaliseTaskIdInput("k3vIL"), "k3v11");
  assertEquals(normaliseTaskIdInput("g"), "g");
});

Deno.test("invalid ID prefixes are usage errors", () => {
  assertThrows(() => normaliseTaskIdInput("i3v8h"), UsageError, "never start with I, L, or O");
  assertThrows(() => normaliseTaskIdInput("L3v8h"), UsageError, "never start with I, L, or O");
  for (const bad of ["", "u", "a1", "k3v8hx", "../..", "k/3", "kk", "k3v8h k"]) {
    assertThrows(() => normaliseTaskIdInput(bad), UsageError, "expected 1-5 Crockford chars");
  }
});

Deno.test("prefix resolution: exact, unique prefix, ambiguous, none, no meta dir", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assertRejects(
      () => resolveTaskId(`${dir}/missing`, "p", "k"),
      ContreeError,
      "No tasks found for project p",
    );
    for (const id of ["k3v8h", "k3v9a", "m2aaa"]) {
      await writeTaskMeta(dossierPath(dir, id), { task_id: id, name: id });
    }
    // A stray file that is not a current-format ID is never a match.
    await Deno.writeTextFile(`${dir}/kxx_meta.yml`, "name: x\n");
    assertEquals(await resolveTaskId(dir, "p", "k3v8h"), "k3v8h");
    assertEquals(await resolveTaskId(dir, "p", "M"), "m2aaa");
    assertEquals(await resolveTaskId(dir, "p", "k3-v9"), "k3v9a");
    await assertRejects(
      () => resolveTaskId(dir, "p", "k3v"),
      ContreeError,
      "Ambiguous task ID 'k3v' — matches: k3v8h, k3v9a",
    );
    await assertRejects(
      () => resolveTaskId(dir, "p", "g"),
      ContreeError,
      "No task matching 'g' in project p",
    );
    await assertRejects(() => resolveTaskId(dir, "p", "../x"), UsageError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("crypto random ints stay in range and vary", () => {
  const values = new Set<number>();
  for (let i = 0; i < 200; i++) {
    const v = cryptoRandomInt(32);
    assert(v >= 0 && v < 32);
    values.add(v);
  }
  assertNotEquals(values.size, 1);
});

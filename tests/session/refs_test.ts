import {
  evaluateHistoryRef,
  type HistoryRef,
  InvalidReferenceError,
  NO_SESSION_FOR_REF,
  parseHistoryRef,
  resolveOperationRef,
  resolveOperationRefs,
  resolveOperationRefsLazily,
  splitRefTokens,
} from "../../src/session/refs.ts";
import { SessionError, type SessionStore } from "../../src/session/store.ts";
import { assertEquals, assertRejects, assertThrows } from "../support/assert.ts";
import { IMG, OP, withStore } from "../support/sessions.ts";

const K = "refs";

Deno.test("refs: lexing of every form", () => {
  const cases: [string, HistoryRef | undefined][] = [
    ["@", { kind: "tip" }],
    [":", { kind: "tip" }],
    ["HEAD", { kind: "tip" }],
    ["@5", { kind: "absolute", id: 5 }],
    [":7", { kind: "absolute", id: 7 }],
    ["HEAD5", { kind: "absolute", id: 5 }],
    ["12", { kind: "absolute", id: 12 }],
    ["@-1", { kind: "relative", steps: -1 }],
    [":-3", { kind: "relative", steps: -3 }],
    ["HEAD-2", { kind: "relative", steps: -2 }],
    ["@+2", { kind: "relative", steps: 2 }],
    [":+3", { kind: "relative", steps: 3 }],
    ["HEAD+1", { kind: "relative", steps: 1 }],
    ["HEAD~", { kind: "relative", steps: -1 }],
    ["HEAD~4", { kind: "relative", steps: -4 }],
    ["@0", { kind: "absolute", id: 0 }],
    ["HEAD~0", { kind: "relative", steps: -0 }],
    // literals
    ["HEAD~garbage", undefined],
    ["HEAD~-1", undefined],
    ["-3", undefined],
    ["+1", undefined],
    ["-", undefined],
    ["@-", undefined],
    ["", undefined],
    [OP[0], undefined],
    ["head", undefined],
  ];
  for (const [token, expected] of cases) assertEquals(parseHistoryRef(token), expected, token);
});

Deno.test("refs: splitting arguments on whitespace", () => {
  assertEquals(splitRefTokens([`${OP[0]}  ${OP[1]}\n@-1`, "", " HEAD "]), [
    OP[0],
    OP[1],
    "@-1",
    "HEAD",
  ]);
});

/** main: use(no op) → run A → run B → run C; a sibling of C on an old branch; another session. */
function seed(store: SessionStore) {
  const use = store.setImage(K, { image: IMG[0], kind: "use" });
  const a = store.setImage(K, { image: IMG[1], kind: "run", operation: OP[0] });
  const b = store.setImage(K, { image: IMG[2], kind: "run", operation: OP[1] });
  const c = store.setImage(K, { image: IMG[3], kind: "run", operation: OP[2] });
  const foreign = store.setImage("elsewhere", { image: IMG[4], kind: "run", operation: OP[3] });
  return { use, a, b, c, foreign };
}

Deno.test("refs: evaluation against the active branch", () =>
  withStore((store) => {
    assertThrows(
      () => evaluateHistoryRef(store, K, { kind: "tip" }),
      SessionError,
      NO_SESSION_FOR_REF,
    );
    const { use, a, b, c, foreign } = seed(store);
    const at = (token: string) => evaluateHistoryRef(store, K, parseHistoryRef(token)!).id;
    assertEquals(at("HEAD"), c.id);
    assertEquals(at("@-1"), b.id);
    assertEquals(at("HEAD~"), b.id);
    assertEquals(at("HEAD~3"), use.id);
    assertEquals(at(`@${a.id}`), a.id);
    assertEquals(at(String(b.id)), b.id);
    assertThrows(
      () => at("@-4"),
      SessionError,
      "Cannot go back 4 steps: only 3 ancestors available",
    );
    assertThrows(
      () => at("@+1"),
      SessionError,
      "Cannot go forward 1 steps: only 0 children available",
    );
    assertThrows(() => at("@999"), SessionError, "History entry 999 not found");
    assertThrows(
      () => at(`@${foreign.id}`),
      SessionError,
      `History entry ${foreign.id} not found in this session`,
    );
    for (const zero of ["@0", "HEAD~0", "@-0", "0", ":+0"]) {
      assertThrows(() => at(zero), SessionError, "History reference must be a non-zero number");
    }
    store.navigate(K, a.id);
    assertEquals(at("@+2"), c.id, "forward follows the newest child");
  }));

Deno.test("refs: operation references resolve to canonical UUIDs in order", () =>
  withStore((store) => {
    const { a, b, c } = seed(store);
    const hyphenless = OP[3].replaceAll("-", "").toUpperCase();
    assertEquals(
      resolveOperationRefs(store, K, [`@ HEAD~1 ${a.id}`, `{${hyphenless}}`, `@${b.id}`]),
      [OP[2], OP[1], OP[0], OP[3], OP[1]],
    );
    assertEquals(resolveOperationRef(store, K, `urn:uuid:${OP[0]}`), OP[0]);
    assertEquals(c.operation, OP[2]);
  }));

Deno.test("refs: every bad token is reported in one error", () =>
  withStore((store) => {
    const { use } = seed(store);
    const error = assertThrows(
      () =>
        resolveOperationRefs(store, K, [
          `${OP[0]} not-a-uuid @999`,
          `HEAD~garbage @${use.id} @0`,
        ]),
      InvalidReferenceError,
    );
    assertEquals(
      error.message,
      "Invalid operation references: not-a-uuid @999: History entry 999 not found HEAD~garbage " +
        `@${use.id}: History entry ${use.id} has no operation UUID ` +
        "@0: History reference must be a non-zero number",
    );
    assertEquals((error as InvalidReferenceError).exitCode, 1);
    assertThrows(
      () => resolveOperationRefs(store, K, ["nope"]),
      InvalidReferenceError,
      "Invalid operation reference: nope",
    );
  }));

Deno.test("refs: the store is opened only for history references", async () => {
  let opened = 0;
  const lazy = () => {
    opened++;
    throw new Error("must not open");
  };
  assertEquals(resolveOperationRefs(lazy, K, [OP[0], OP[1]]), [OP[0], OP[1]]);
  assertEquals(opened, 0);
  assertThrows(() => resolveOperationRefs(lazy, K, ["@"]), Error, "must not open");
  assertEquals(opened, 1);
  const asyncOpen = () => {
    opened++;
    return Promise.reject(new Error("must not open"));
  };
  assertEquals(await resolveOperationRefsLazily(asyncOpen, K, [OP[2]]), [OP[2]]);
  assertEquals(opened, 1);
  await assertRejects(() => resolveOperationRefsLazily(asyncOpen, K, ["HEAD~"]), Error, "must not");
  assertEquals(opened, 2);
});

Deno.test("refs: no session for a history reference", () =>
  withStore((store) => {
    assertThrows(
      () => resolveOperationRefs(store, K, ["@-1"]),
      InvalidReferenceError,
      `Invalid operation reference: @-1: ${NO_SESSION_FOR_REF}`,
    );
  }));

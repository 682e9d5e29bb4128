import { operationCache, refResolver, runSession } from "../../src/session/adapters.ts";
import { InvalidReferenceError } from "../../src/session/refs.ts";
import { NoActiveSession } from "../../src/session/store.ts";
import { assertEquals, assertThrows } from "../support/assert.ts";
import { IMG, OP, withStore } from "../support/sessions.ts";

Deno.test("adapters: run's view of a session", () =>
  withStore((store) => {
    const session = runSession(store, "r");
    assertThrows(() => session.currentImage(), NoActiveSession);
    session.useImage(IMG[0], "ubuntu");
    assertEquals(session.currentImage(), IMG[0]);
    assertEquals(session.cwd(), "", "no cd yet: the image's WORKDIR applies");
    store.changeDirectory("r", "/srv");
    assertEquals(session.cwd(), "/srv");
    store.setEnv("r", { A: "1" });
    assertEquals(session.env(), { A: "1" });
    store.stageFile("r", { path: "/srv/x", fileUuid: "f1", mode: "0600" });
    assertEquals(session.pendingFiles(), {
      "/srv/x": { uuid: "f1", uid: 0, gid: 0, mode: "0600" },
    });
    assertEquals(session.preservedEnv(IMG[1]), undefined);
    session.setPreservedEnv(IMG[1], { B: "2" });
    assertEquals(session.preservedEnv(IMG[1]), { B: "2" });
    session.detachedBranch(OP[0], "sleep");
    session.disposableBranch(OP[1], "test");
    session.addPendingOperation({ op: OP[0], title: "sleep", disposable: false, branch: "b" });
    assertEquals(store.pendingOps("r").map((p) => p.op), [OP[0]]);
    // With its server, where run knows it: a 404 elsewhere then does not drop it.
    runSession(store, "r", "http://127.0.0.1:7680")
      .addPendingOperation({ op: OP[3], title: "t", disposable: false, branch: "" });
    assertEquals(store.pendingOps("r").map((p) => p.server), [undefined, "http://127.0.0.1:7680"]);
    store.removePendingOp("r", OP[3]);
    session.advance(IMG[1], "make", OP[2]);
    const tip = store.tip("r")!;
    assertEquals([tip.image, tip.kind, tip.title, tip.operation], [IMG[1], "run", "make", OP[2]]);
    assertEquals(session.pendingFiles(), {}, "the run consumed the staged file");
    assertEquals(store.branches("r").map((b) => b.name), [
      `detached-${OP[0]}`,
      `disposable-${OP[1]}`,
      "main",
    ]);
  }));

Deno.test("adapters: the operation cache returns terminal operations only", () =>
  withStore(async (store) => {
    const cache = operationCache(store);
    await cache.set({ uuid: OP[0], status: "SUCCESS" });
    await cache.set({ uuid: OP[1], status: "EXECUTING" });
    assertEquals((await cache.get(OP[0]))?.status, "SUCCESS");
    assertEquals(await cache.get(OP[1]), undefined);
    assertEquals(await cache.get(OP[2]), undefined);
  }));

Deno.test("adapters: reference resolver for the operation namespace", () =>
  withStore((store) => {
    store.setImage("n", { image: IMG[0], kind: "run", operation: OP[0] });
    const resolve = refResolver(store, "n");
    assertEquals(resolve(["@", OP[1]]), [OP[0], OP[1]]);
    assertThrows(() => resolve(["@-1", "x"]), InvalidReferenceError, "references: @-1: ");
  }));

Deno.test("adapters: a file staged while a run ran stays staged for the next run", () =>
  withStore((store) => {
    store.setImage("r", { image: IMG[0], kind: "use" });
    store.stageFile("r", { path: "/a", fileUuid: "fa" });
    const session = runSession(store, "r");
    assertEquals(Object.keys(session.pendingFiles()), ["/a"], "what the run sends");
    // Another process stages files while the run goes on: a new path, and /a again.
    store.stageFile("r", { path: "/late", fileUuid: "fl", mode: "0600" });
    store.stageFile("r", { path: "/a", fileUuid: "fa2" });
    session.advance(IMG[1], "make", OP[0]);
    // Was: the run's entry above them marked them consumed, and no run ever got them.
    assertEquals(runSession(store, "r").pendingFiles(), {
      "/late": { uuid: "fl", uid: 0, gid: 0, mode: "0600" },
      "/a": { uuid: "fa2", uid: 0, gid: 0, mode: "0644" },
    });
    assertEquals(store.tip("r")!.image, IMG[1], "the run's image is the session's");
  }));

// The vendored parser (src/vendor/commander): it is the npm package's code, and the stand-ins it
// imports instead of node: modules behave as Node's do where commander relies on them.

import * as nodePath from "node:path";
import { EventEmitter as NodeEventEmitter } from "node:events";
import { stripVTControlCharacters as nodeStrip } from "node:util";
import { differences } from "../../scripts/vendor_commander.ts";
import {
  EventEmitter,
  path,
  process,
  stripVTControlCharacters,
} from "../../src/vendor/commander/node.ts";
import { assert, assertEquals, assertThrows } from "../support/assert.ts";

const VENDOR = new URL("../../src/vendor/commander/", import.meta.url);

Deno.test("vendored commander: the copy is the package's, and an edited copy is told apart", async () => {
  assertEquals(await differences(), []);

  const copy = await Deno.makeTempDir({ prefix: "contree-vendor-" });
  try {
    await Deno.mkdir(`${copy}/lib`);
    for (
      const file of [
        "index.js",
        "LICENSE",
        ...["argument", "command", "error", "help", "option", "suggestSimilar"].map((n) =>
          `lib/${n}.js`
        ),
      ]
    ) {
      await Deno.copyFile(new URL(file, VENDOR), `${copy}/${file}`);
    }
    const help = `${copy}/lib/help.js`;
    await Deno.writeTextFile(help, (await Deno.readTextFile(help)).replace("Usage:", "Use:"));
    await Deno.remove(`${copy}/lib/error.js`);
    assertEquals(await differences(new URL(`file://${copy}/`)), ["lib/error.js", "lib/help.js"]);
  } finally {
    await Deno.remove(copy, { recursive: true });
  }
});

Deno.test("vendored commander: no file of the copy imports a node: module", async () => {
  for await (const entry of Deno.readDir(new URL("lib/", VENDOR))) {
    const text = await Deno.readTextFile(new URL(`lib/${entry.name}`, VENDOR));
    assert(!/from ['"]node:/.test(text), `${entry.name} imports from node:`);
  }
});

Deno.test("vendored commander: the event emitter calls listeners as Node's does", () => {
  for (const Emitter of [EventEmitter, NodeEventEmitter]) {
    const emitter = new Emitter();
    const calls: string[] = [];
    const first = (value: unknown) => calls.push(`first ${value}`);
    emitter.on("option:x", first);
    emitter.once("option:x", (value: unknown) => calls.push(`once ${value}`));
    assertEquals(emitter.listenerCount("option:x"), 2);
    assertEquals(emitter.emit("option:x", 1), true);
    assertEquals(emitter.emit("option:x", 2), true);
    emitter.off("option:x", first);
    assertEquals(emitter.emit("option:x", 3), false);
    assertEquals(emitter.listenerCount("nothing"), 0);
    assertEquals(calls, ["first 1", "once 1", "first 2"], Emitter.name);
  }
});

Deno.test("vendored commander: escape sequences and path names as node:util and node:path", () => {
  const texts = [
    "plain",
    "\x1b[1mbold\x1b[22m and \x1b[38;5;245mgrey\x1b[0m",
    "\x1b]8;;https://example.com\x07link\x1b]8;;\x07",
    "\u009b31mred",
    "100% ; [not an escape]",
  ];
  for (const text of texts) assertEquals(stripVTControlCharacters(text), nodeStrip(text), text);

  const files = [
    "/usr/bin/contree",
    "main.ts",
    "dir/x.tar.gz",
    ".hidden",
    "/",
    "a/b/",
    "noext.",
    "a//b",
    "/top",
    "//x",
  ];
  for (const file of files) {
    assertEquals(path.basename(file), nodePath.posix.basename(file), file);
    assertEquals(path.basename(file, ".ts"), nodePath.posix.basename(file, ".ts"), file);
    assertEquals(path.extname(file), nodePath.posix.extname(file), file);
  }
});

Deno.test("vendored commander: what contree never uses refuses plainly, it does not exit", () => {
  assertThrows(() => process.exit(), Error, "not available in contree's copy of commander");
  assertEquals(process.env.PATH, Deno.env.get("PATH"));
  assertEquals("PATH" in process.env, true);
  assertEquals("CONTREE_SURELY_UNSET_VARIABLE" in process.env, false);
});

// The vendored packages (src/vendor: scripts/vendor.ts): each is its npm package's code; the
// stand-ins commander imports instead of node: modules behave as Node's do where it relies on
// them; fflate's gzip and node:zlib's read each other's.

import * as nodePath from "node:path";
import { EventEmitter as NodeEventEmitter } from "node:events";
import { Buffer } from "node:buffer";
import * as zlib from "node:zlib";
import { stripVTControlCharacters as nodeStrip } from "node:util";
import { COMMANDER, differences, vendorDirectory, VENDORED } from "../../scripts/vendor.ts";
import {
  EventEmitter,
  path,
  process,
  stripVTControlCharacters,
} from "../../src/vendor/commander/node.ts";
import { loadFflate } from "../../src/deps.ts";
import { assert, assertEquals, assertThrows } from "../support/assert.ts";

const VENDOR = vendorDirectory(COMMANDER);

Deno.test("vendored packages: each copy is the package's, and an edited copy is told apart", async () => {
  for (const pkg of VENDORED) assertEquals(await differences(pkg), [], pkg.name);

  const copy = await Deno.makeTempDir({ prefix: "contree-vendor-" });
  try {
    await Deno.mkdir(`${copy}/lib`);
    for (const file of COMMANDER.files) {
      await Deno.copyFile(new URL(file, VENDOR), `${copy}/${file}`);
    }
    const help = `${copy}/lib/help.js`;
    await Deno.writeTextFile(help, (await Deno.readTextFile(help)).replace("Usage:", "Use:"));
    await Deno.remove(`${copy}/lib/error.js`);
    assertEquals(await differences(COMMANDER, new URL(`file://${copy}/`)), [
      "lib/error.js",
      "lib/help.js",
    ]);
  } finally {
    await Deno.remove(copy, { recursive: true });
  }
});

Deno.test("vendored packages: no file of a copy imports a node: module", async () => {
  for (const pkg of VENDORED) {
    for (const file of pkg.files.filter((name) => name.endsWith(".js"))) {
      const text = await Deno.readTextFile(new URL(file, vendorDirectory(pkg)));
      assert(!/from ['"]node:|import\(['"]node:|require\(/.test(text), `${file} reaches Node`);
    }
  }
});

Deno.test("vendored fflate: its gzip and node:zlib's read each other's, byte for byte", async () => {
  const { gzipSync, gunzipSync } = await loadFflate();
  const random = new Uint8Array(200_000);
  for (let at = 0; at < random.length; at += 65536) {
    crypto.getRandomValues(random.subarray(at, at + 65536));
  }
  const text = new TextEncoder().encode("ä line of a listing, 🙂\n".repeat(50_000));
  for (const bytes of [new Uint8Array(0), text, random]) {
    assertEquals(zlib.gunzipSync(gzipSync(bytes)), Buffer.from(bytes));
    assertEquals(gunzipSync(zlib.gzipSync(bytes)), bytes);
  }
  assertThrows(() => gunzipSync(zlib.gzipSync(text).subarray(0, 1000)));
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

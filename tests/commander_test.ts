// src/commander.js is generated: it must be exactly what scripts/vendor_commander.ts writes from
// the commander version src/deps.ts names (regenerate with `deno run -A scripts/vendor_commander.ts`).

import { generate, TARGET } from "../scripts/vendor_commander.ts";
import { assert, assertEquals } from "./support/assert.ts";

Deno.test("src/commander.js is the bundle scripts/vendor_commander.ts writes", async () => {
  const current = await Deno.readTextFile(TARGET);
  assert(current === await generate(), "out of date: run deno run -A scripts/vendor_commander.ts");
  // No Node built-in is imported at load time: they are reached lazily, on first use.
  assertEquals(current.match(/^import .*$/gm) ?? [], []);
  assert(!/\/root\/|\/home\//.test(current), "no host path in the generated file");
});

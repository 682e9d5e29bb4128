// main's one exit-code mapping: what each kind of failure prints.

import { reportError } from "../../src/cli/command_line.ts";
import { SessionError } from "../../src/session/errors.ts";
import { assertEquals } from "../support/assert.ts";
import { testContext } from "../support/context.ts";

Deno.test("reportError: the system's refusals in its words; bugs as unexpected; notices bare", async () => {
  const said = async (error: unknown) => {
    const ctx = testContext();
    const code = reportError(error, ctx);
    await ctx.stderr.drain();
    return [code, ctx.stderr.text()];
  };
  const readOnly = Object.assign(new Error("Read-only file system (os error 30): open '/x'"), {
    code: "EROFS",
  });
  assertEquals(await said(readOnly), [
    1,
    "[ERROR] Read-only file system (os error 30): open '/x'\n",
  ]);
  // Deno gives some OS errors no code (ENXIO, opening a socket).
  const noCode = new Error("No such device or address (os error 6): open '/tmp/sock'");
  assertEquals(await said(noCode), [
    1,
    "[ERROR] No such device or address (os error 6): open '/tmp/sock'\n",
  ]);
  assertEquals(await said(new TypeError("x is undefined")), [
    1,
    "[ERROR] Unexpected error: x is undefined\n",
  ]);
  assertEquals(await said(new SessionError("Branch 'b' does not exist")), [
    1,
    "Branch 'b' does not exist\n",
  ]);
});

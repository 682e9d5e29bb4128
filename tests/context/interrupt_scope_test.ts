// The process context's interrupt scopes: inside one, SIGINT aborts only the scope (twice does
// not exit), SIGTERM aborts the scope and the process's signal. Run in a child process, which
// sends the signals to itself.

import { assertEquals } from "../support/assert.ts";

const CONTEXT = new URL("../../src/context.ts", import.meta.url).href;

const SCRIPT = `
import { createProcessContext } from "${CONTEXT}";
const ctx = createProcessContext();
const aborted = (signal) =>
  new Promise((resolve) => signal.aborted ? resolve() : signal.addEventListener("abort", resolve));
let delivered = 0;
let onDelivery = () => {};
Deno.addSignalListener("SIGINT", () => { delivered++; onDelivery(); });
const sigint = () => new Promise((resolve) => {
  const target = delivered + 1;
  onDelivery = () => delivered >= target && resolve();
  Deno.kill(Deno.pid, "SIGINT");
});
const first = ctx.interruptScope();
await sigint();
await aborted(first.signal);
await sigint(); // a second one in the same scope: no exit
first.close();
const second = ctx.interruptScope();
const seen = [first.signal.reason.exitCode, second.signal.aborted, ctx.signal.aborted];
Deno.kill(Deno.pid, "SIGTERM");
await aborted(ctx.signal);
seen.push(second.signal.reason.exitCode, ctx.signal.reason.exitCode);
second.close();
console.log(JSON.stringify(seen));
Deno.exit(0);
`;

Deno.test("interrupt scopes: SIGINT stays in the scope; SIGTERM reaches the process", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", SCRIPT],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assertEquals(output.code, 0, stderr);
  assertEquals(JSON.parse(new TextDecoder().decode(output.stdout)), [130, false, false, 143, 143]);
});

const REPEAT_SCRIPT = `
import { createProcessContext } from "${CONTEXT}";
const ctx = createProcessContext();
let delivered = 0;
let onDelivery = () => {};
for (const name of ["SIGINT", "SIGTERM"]) {
  Deno.addSignalListener(name, () => { delivered++; onDelivery(); });
}
const send = (name) => new Promise((resolve) => {
  const target = delivered + 1;
  onDelivery = () => delivered >= target && resolve();
  Deno.kill(Deno.pid, name);
});
await send("SIGTERM");
await send("SIGTERM"); // a second stop request while the first is handled: no exit
console.log(JSON.stringify([ctx.signal.aborted, ctx.signal.reason.exitCode]));
await send("SIGINT"); // Ctrl-C now insists: exits 130
await new Promise(() => setTimeout(() => {}, 10_000));
`;

Deno.test("a second SIGTERM leaves the stop to the first; a Ctrl-C after it exits 130", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", REPEAT_SCRIPT],
    stdout: "piped",
    stderr: "piped",
  }).output();
  // Was: the second SIGTERM exited 143 at once, skipping the server's clean shutdown.
  assertEquals(output.code, 130, new TextDecoder().decode(output.stderr));
  assertEquals(JSON.parse(new TextDecoder().decode(output.stdout)), [true, 143]);
});

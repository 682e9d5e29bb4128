// A long line pasted into the shell's line editor: node:readline as Deno ships it, against the
// same with the shell's incremental measure of the line (src/shell/reader.ts), in one process,
// alternating. The line goes in as one chunk, as a terminal delivers a paste.
//
//   deno run -A scripts/bench/paste.ts [--runs 3] [--lengths 2000,5000,10000]

import { createInterface } from "node:readline";
import { PassThrough } from "node:stream";
import { measureIncrementally } from "../../src/shell/reader.ts";

function flag(name: string, fallback: string): string {
  const at = Deno.args.indexOf(`--${name}`);
  return at >= 0 && Deno.args[at + 1] !== undefined ? Deno.args[at + 1] : fallback;
}

const runs = Number(flag("runs", "3"));
const lengths = flag("lengths", "2000,5000,10000").split(",").map(Number);

/** Milliseconds from the paste to its line. */
async function paste(length: number, incremental: boolean): Promise<number> {
  const input = new PassThrough();
  const output = Object.assign(new PassThrough(), { columns: 120, isTTY: true });
  output.resume();
  const rl = createInterface({ input, output, terminal: true });
  if (incremental) measureIncrementally(rl);
  const line = new Promise((resolve) => rl.on("line", resolve));
  const started = performance.now();
  input.write(`echo ${"x".repeat(length)} | wc -c\r`);
  await line;
  const elapsed = performance.now() - started;
  rl.close();
  return elapsed;
}

const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];

console.log("| characters | readline | with the incremental measure | ratio |");
console.log("| ---------- | -------- | ---------------------------- | ----- |");
for (const length of lengths) {
  const plain: number[] = [];
  const fast: number[] = [];
  for (let run = 0; run < runs; run++) {
    plain.push(await paste(length, false));
    fast.push(await paste(length, true));
  }
  const [a, b] = [median(plain), median(fast)];
  console.log(
    `| ${length} | ${(a / 1000).toFixed(2)} s | ${(b / 1000).toFixed(3)} s | ${
      (a / b).toFixed(0)
    }× |`,
  );
}

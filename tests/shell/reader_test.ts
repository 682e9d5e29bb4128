// The terminal reader's measure of the line (readline's, carried on incrementally).

import { createInterface } from "node:readline";
import { PassThrough } from "node:stream";
import { measureIncrementally } from "../../src/shell/reader.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { prng } from "../support/prng.ts";

type Measured = { _getDisplayPos(text: string): { cols: number; rows: number } };

function editor(columns: number) {
  const output = Object.assign(new PassThrough(), { columns, isTTY: true });
  const rl = createInterface({ input: new PassThrough(), output, terminal: true });
  return { rl, measured: rl as unknown as Measured };
}

Deno.test("reader: the incremental measure equals readline's, key by key", () => {
  const random = prng(17);
  const pieces = ["a", "b", " ", "~", "é", "中", "\n", "\t", "\x1b[31m", "\x1b[0m", "😀"];
  for (const columns of [7, 20, 80]) {
    const plain = editor(columns);
    const fast = editor(columns);
    measureIncrementally(fast.rl);
    try {
      const prompt = "\x1b[35m(main)\x1b[0m / $ ";
      let line = "";
      for (let key = 0; key < 400; key++) {
        // Mostly typing at the end (the incremental case), sometimes anything else.
        line += random() < 0.8 ? "x" : pieces[Math.floor(random() * pieces.length)];
        if (random() < 0.05) line = line.slice(0, Math.floor(line.length / 2));
        const text = prompt + line;
        assertEquals(
          fast.measured._getDisplayPos(text),
          plain.measured._getDisplayPos(text),
          `${columns} columns: ${JSON.stringify(text)}`,
        );
      }
    } finally {
      plain.rl.close();
      fast.rl.close();
    }
  }
});

Deno.test("reader: a long paste is measured from where the line ended, not again", () => {
  const { rl, measured } = editor(80);
  let calls = 0;
  const original = measured._getDisplayPos;
  measured._getDisplayPos = function (text: string) {
    calls++;
    return original.call(this, text);
  };
  measureIncrementally(rl);
  try {
    let text = "$ ";
    for (let i = 0; i < 5_000; i++) measured._getDisplayPos(text += "x");
    // Was: all 5,000 measured whole, 1.4 ms each at 2,500 characters.
    assert(calls < 40, `${calls} whole measures`);
    assertEquals(measured._getDisplayPos(text), { cols: 5_002 % 80, rows: Math.floor(5_002 / 80) });
  } finally {
    rl.close();
  }
});

// The text formats (csv, tsv, toml, plain, table) write a long value — a run's whole output —
// in pieces. What they write must be exactly what they write for the same value as one string,
// for any way the bytes arrive: cut mid-character, mid-`\r\n`, in pieces of every size.

import { LONG_TEXT_BYTES } from "../../src/output/base.ts";
import { LineReader } from "../../src/output/long_text.ts";
import type { FormatName } from "../../src/output/mod.ts";
import { textLines } from "../../src/output/render.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { prng } from "../support/prng.ts";
import {
  longText,
  programOutput,
  type Rendering,
  renderRows,
  runRow,
} from "../support/program_output.ts";

const encoder = new TextEncoder();
const decoded = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Program output with lone `\r` breaks, blank lines and a final break added. */
function output(size: number, seed: number): Uint8Array {
  const bytes = programOutput(size, seed);
  const random = prng(seed + 100);
  for (let i = 0; i < 2000; i++) {
    const at = Math.floor(random() * bytes.length);
    bytes[at] = [0x0d, 0x0a, 0x22, 0x2c, 0x09][i % 5];
  }
  bytes[bytes.length - 1] = 0x0a;
  return bytes;
}

const FORMATS: [FormatName, Rendering][] = [
  ["csv", {}],
  ["tsv", {}],
  ["toml", {}],
  ["plain", {}],
  ["table", {}],
  ["table", { tty: true, columns: 160 }],
  ["table", { tty: true, columns: 40 }],
];

Deno.test("text formats: a long output streams to exactly what its string gives", async () => {
  const stdout = output(LONG_TEXT_BYTES + 30_017, 11);
  const stderr = output(LONG_TEXT_BYTES + 5, 12);
  const whole = runRow(decoded(stdout), decoded(stderr));
  for (const [format, how] of FORMATS) {
    const expected = await renderRows(format, [whole], how);
    for (const [seed, maxPiece] of [[1, 61], [2, 70_000]]) {
      const streamed = runRow(longText(stdout, seed, maxPiece), longText(stderr, seed, maxPiece));
      const actual = await renderRows(format, [streamed], how);
      // assertEquals would print megabytes: compare, then show where they part.
      if (actual !== expected) {
        let at = 0;
        while (actual[at] === expected[at]) at++;
        throw new Error(
          `${format} ${JSON.stringify(how)} pieces ≤ ${maxPiece}: differs at ${at}: ` +
            `${JSON.stringify(actual.slice(at - 40, at + 40))} vs ` +
            `${JSON.stringify(expected.slice(at - 40, at + 40))}`,
        );
      }
    }
  }
});

Deno.test("text formats: one line longer than a segment, padded and cut as the string", async () => {
  // The second one holds nothing csv quotes.
  const values = ["x".repeat(2 * 1024 * 1024 + 3) + "\nshort\n", "y".repeat(LONG_TEXT_BYTES + 1)];
  for (const value of values) {
    const bytes = encoder.encode(value);
    for (const [format, how] of FORMATS) {
      const expected = await renderRows(format, [runRow(value)], how);
      const actual = await renderRows(format, [runRow(longText(bytes, 3, 300_000))], how);
      assert(actual === expected, `${format} ${JSON.stringify(how)} ${value.length}`);
    }
  }
});

Deno.test("LineReader: the lines textLines gives, whatever the pieces", async () => {
  const cases = [
    "",
    "\n",
    "\r\n",
    "\r",
    "a",
    "a\n",
    "a\r",
    "a\r\n",
    "a\r\r\n\nb",
    "\r\n\r\n",
    "\n\n",
    "a\n\nb\n\n",
    "\u00e9\r\u4e2d\n\u{1F600}",
  ];
  for (const text of cases) {
    const bytes = encoder.encode(text);
    for (const maxPiece of [1, 2, 100]) {
      const reader = new LineReader(longText(bytes, 9, maxPiece));
      const lines: string[] = [];
      while (await reader.nextLine()) {
        let line = "";
        for (let segment; (segment = await reader.segment());) line += segment;
        lines.push(line);
      }
      assertEquals(lines, textLines(text), `${JSON.stringify(text)} in pieces ≤ ${maxPiece}`);
    }
  }
});

Deno.test("LineReader: nextLine skips what is left of a line", async () => {
  const reader = new LineReader(longText(encoder.encode("first line\r\nsecond\n"), 4, 3));
  assert(await reader.nextLine());
  assert(await reader.nextLine());
  let line = "";
  for (let segment; (segment = await reader.segment());) line += segment;
  assertEquals(line, "second");
  assertEquals(await reader.nextLine(), false);
});

Deno.test("table: a short value of very many lines (was a stack overflow)", async () => {
  // 130 KB: under LONG_TEXT_BYTES, so handled as one string, 130,001 lines.
  const lines = "\n".repeat(130_000) + "x";
  const table = await renderRows("table", [runRow(lines)]);
  assertEquals(table.split("\n").length, 130_000 + 3);
});

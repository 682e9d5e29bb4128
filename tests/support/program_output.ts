// Test data for output of any size: what a sandbox's program prints, and the `-f json run`
// row that carries it.

import { MemorySink } from "../../src/io.ts";
import { Logger } from "../../src/log.ts";
import { createFormatter, type FormatName, LongText, type Row } from "../../src/output/mod.ts";
import { prng } from "./prng.ts";

/** Where rows are rendered: a pipe by default, or a terminal of `columns`. */
export interface Rendering {
  tty?: boolean;
  columns?: number;
}

/** The text a formatter writes for `rows` (times in UTC). */
export async function renderRows(
  format: FormatName,
  rows: Row[],
  how: Rendering = {},
): Promise<string> {
  const stdout = new MemorySink(how.tty ?? false, how.columns);
  const formatter = createFormatter(format, {
    stdout,
    log: new Logger(new MemorySink()),
    tty: how.tty ?? false,
    color: false,
    columns: () => how.columns,
    timeZone: "UTC",
  });
  for (const row of rows) await formatter.write(row);
  await formatter.close();
  return stdout.text();
}

/** A LongText over `bytes`, handed out in pieces of random sizes (cut mid-character too). */
export function longText(bytes: Uint8Array, seed: number, maxPiece: number): LongText {
  return new LongText(bytes.length, async function* () {
    const random = prng(seed);
    for (let at = 0; at < bytes.length;) {
      const size = 1 + Math.floor(random() * maxPiece);
      yield bytes.slice(at, at + size);
      at += size;
    }
  });
}

/**
 * `size` bytes of program output: log lines mixed with UTF-8 text of every width, control
 * characters, terminal escapes and invalid sequences (what `new TextDecoder()` turns into U+FFFD).
 */
export function programOutput(size: number, seed = 7): Uint8Array {
  const random = prng(seed);
  const encoder = new TextEncoder();
  const pieces = [
    "2026-06-08T20:14:05Z INFO worker-3 item=123456 took 17ms\n",
    "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440! ",
    "\u4e2d\u6587\u6f22\u5b57\t",
    "emoji \u{1F600}\u{1F680}\r\n",
    '"quoted" \\ back\\slash\n',
    "\u001b[1;32mgreen\u001b[0m\u0007\u0000\u007f\n",
    "caf\u00e9 \u00a0\u2028\u2029\ufeff\n",
  ].map((text) => encoder.encode(text));
  const invalid = [
    new Uint8Array([0xff]),
    new Uint8Array([0xc3]),
    new Uint8Array([0xe2, 0x82]),
    new Uint8Array([0xed, 0xa0, 0x80]), // a UTF-8-encoded surrogate: invalid
    new Uint8Array([0xf0, 0x9f, 0x98]),
  ];
  const out = new Uint8Array(size);
  let at = 0;
  while (at < size) {
    const pick = random() < 0.03
      ? invalid[Math.floor(random() * invalid.length)]
      : pieces[Math.floor(random() * pieces.length)];
    const n = Math.min(pick.length, size - at);
    out.set(pick.subarray(0, n), at);
    at += n;
  }
  return out;
}

/** A `-f json run` result row whose stdout is `stdout`. */
export function runRow(stdout: unknown, stderr: unknown = "warning: \u00e9\n"): Row {
  return {
    uuid: "0b6f2c1e-5d4a-4c3b-9e8f-7a6b5c4d3e2f",
    kind: "instance",
    status: "SUCCESS",
    duration: 1.5,
    result_image_uuid: "9e8f7a6b-5c4d-3e2f-0b6f-2c1e5d4a4c3b",
    exit_code: 0,
    image: "9e8f7a6b-5c4d-3e2f-0b6f-2c1e5d4a4c3b",
    tag: "",
    stdout,
    stderr,
    error: null,
  };
}

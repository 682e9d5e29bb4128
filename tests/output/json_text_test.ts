// The Python-compatible JSON writer on text that matters for `-f json run`: non-ASCII, control
// characters, lone surrogates, invalid UTF-8 and large values. The golden files were written by
// the character-at-a-time writer this one replaced, so they pin today's bytes exactly (the large
// value by its sha256). `UPDATE_GOLDEN=1 deno test -A tests/output/json_text_test.ts` rewrites
// them; review the diff before committing it.

import { MemorySink } from "../../src/io.ts";
import { Logger } from "../../src/log.ts";
import { createFormatter, type FormatName, LongText, type Row } from "../../src/output/mod.ts";
import { assertEquals } from "../support/assert.ts";
import { prng } from "../support/prng.ts";

const UPDATE = Deno.env.get("UPDATE_GOLDEN") === "1";
const GOLDEN_DIR = new URL("../golden/output/", import.meta.url);

async function golden(name: string, actual: string): Promise<void> {
  const url = new URL(name, GOLDEN_DIR);
  if (UPDATE) {
    await Deno.writeTextFile(url, actual);
    return;
  }
  assertEquals(actual, await Deno.readTextFile(url), `golden ${name} differs`);
}

async function render(format: FormatName, rows: Row[]): Promise<string> {
  const stdout = new MemorySink();
  const formatter = createFormatter(format, {
    stdout,
    log: new Logger(new MemorySink()),
    tty: false,
    color: false,
    columns: () => undefined,
    timeZone: "UTC",
  });
  for (const row of rows) await formatter.write(row);
  await formatter.close();
  return stdout.text();
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Strings every escaping rule meets. */
export const TEXT_VALUES: Row = {
  ascii: "plain words, punctuation ~!@#$%^&*()_+{}|:<>?`-=[];',./",
  quotes: 'say "hi" \\ back\\slash / slash',
  controls: "\u0000\u0001\u0007\b\t\n\u000b\f\r\u001b[31m\u001f\u007f",
  latin: "caf\u00e9 na\u00efve \u00a0nbsp \u00ff",
  cyrillic: "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440",
  cjk: "\u4e2d\u6587\u6f22\u5b57 \u3053\u3093\u306b\u3061\u306f",
  astral: "\u{1F600}\u{1F680} \u{10FFFF} \u{1D11E}",
  lone: "high \ud83d alone, low \ude00 alone, reversed \ude00\ud83d",
  specials: "\u2028\u2029\ufeff\ufffd\uffff",
  replacement: new TextDecoder().decode(new Uint8Array([0x61, 0xff, 0xc3, 0x28, 0xe2, 0x82, 0x62])),
};

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

export const LARGE_OUTPUT_BYTES = 3 * 1024 * 1024 + 17;

Deno.test("golden: non-ASCII, controls and lone surrogates in json and json-pretty", async () => {
  await golden("text.json.txt", await render("json", [TEXT_VALUES]));
  await golden("text.json-pretty.txt", await render("json-pretty", [TEXT_VALUES, TEXT_VALUES]));
});

Deno.test("golden: a 3 MiB run output of mixed UTF-8 (sha256 of today's bytes)", async () => {
  const stdout = new TextDecoder().decode(programOutput(LARGE_OUTPUT_BYTES));
  const json = await render("json", [runRow(stdout)]);
  const pretty = await render("json-pretty", [runRow(stdout)]);
  await golden(
    "large_run.sha256.txt",
    `json ${json.length} ${await sha256(json)}\njson-pretty ${pretty.length} ${await sha256(
      pretty,
    )}\n`,
  );
});

/** A LongText over `bytes`, handed out in pieces of random sizes (cut mid-character too). */
function longText(bytes: Uint8Array, seed: number, maxPiece: number): LongText {
  return new LongText(bytes.length, async function* () {
    const random = prng(seed);
    for (let at = 0; at < bytes.length;) {
      const size = 1 + Math.floor(random() * maxPiece);
      yield bytes.slice(at, at + size);
      at += size;
    }
  });
}

Deno.test("a LongText value streams to the same bytes as the whole string", async () => {
  const bytes = programOutput(LARGE_OUTPUT_BYTES);
  const expected = await Deno.readTextFile(new URL("large_run.sha256.txt", GOLDEN_DIR));
  for (const [seed, maxPiece] of [[1, 61], [2, 70_000], [3, 3_000_000]]) {
    const stdout = longText(bytes, seed, maxPiece);
    const json = await render("json", [runRow(stdout)]);
    const pretty = await render("json-pretty", [runRow(longText(bytes, seed, maxPiece))]);
    assertEquals(
      `json ${json.length} ${await sha256(json)}\njson-pretty ${pretty.length} ${await sha256(
        pretty,
      )}\n`,
      expected,
      `pieces up to ${maxPiece} bytes`,
    );
  }
});

Deno.test("LongText: small and empty values, and every other format decodes it whole", async () => {
  const encoder = new TextEncoder();
  for (const [key, value] of Object.entries(TEXT_VALUES)) {
    const bytes = encoder.encode(value as string);
    // Lone surrogates do not survive UTF-8; everything else must match the string's JSON.
    const text = new TextDecoder().decode(bytes);
    for (const format of ["json", "json-pretty", "csv", "tsv", "toml", "plain", "table"] as const) {
      assertEquals(
        await render(format, [{ [key]: longText(bytes, 5, 3) }]),
        await render(format, [{ [key]: text }]),
        `${format} ${key}`,
      );
    }
  }
  assertEquals(
    await render("json", [{ empty: new LongText(0, async function* () {}) }]),
    '{"empty": ""}\n',
  );
});

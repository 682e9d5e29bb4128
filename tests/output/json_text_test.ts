// The Python-compatible JSON writer on text that matters for `-f json run`: non-ASCII, control
// characters, lone surrogates, invalid UTF-8 and large values. The golden files were written by
// the character-at-a-time writer this one replaced, so they pin today's bytes exactly (the large
// value by its sha256). `UPDATE_GOLDEN=1 deno test -A tests/output/json_text_test.ts` rewrites
// them; review the diff before committing it.

import { LongText, type Row } from "../../src/output/mod.ts";
import { assertEquals } from "../support/assert.ts";
import { longText, programOutput, renderRows, runRow } from "../support/program_output.ts";

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

export const LARGE_OUTPUT_BYTES = 3 * 1024 * 1024 + 17;

Deno.test("golden: non-ASCII, controls and lone surrogates in json and json-pretty", async () => {
  await golden("text.json.txt", await renderRows("json", [TEXT_VALUES]));
  await golden("text.json-pretty.txt", await renderRows("json-pretty", [TEXT_VALUES, TEXT_VALUES]));
});

Deno.test("golden: a 3 MiB run output of mixed UTF-8 (sha256 of today's bytes)", async () => {
  const stdout = new TextDecoder().decode(programOutput(LARGE_OUTPUT_BYTES));
  const json = await renderRows("json", [runRow(stdout)]);
  const pretty = await renderRows("json-pretty", [runRow(stdout)]);
  await golden(
    "large_run.sha256.txt",
    `json ${json.length} ${await sha256(json)}\njson-pretty ${pretty.length} ${await sha256(
      pretty,
    )}\n`,
  );
});

Deno.test("a LongText value streams to the same bytes as the whole string", async () => {
  const bytes = programOutput(LARGE_OUTPUT_BYTES);
  const expected = await Deno.readTextFile(new URL("large_run.sha256.txt", GOLDEN_DIR));
  for (const [seed, maxPiece] of [[1, 61], [2, 70_000], [3, 3_000_000]]) {
    const stdout = longText(bytes, seed, maxPiece);
    const json = await renderRows("json", [runRow(stdout)]);
    const pretty = await renderRows("json-pretty", [runRow(longText(bytes, seed, maxPiece))]);
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
        await renderRows(format, [{ [key]: longText(bytes, 5, 3) }]),
        await renderRows(format, [{ [key]: text }]),
        `${format} ${key}`,
      );
    }
  }
  assertEquals(
    await renderRows("json", [{ empty: new LongText(0, async function* () {}) }]),
    '{"empty": ""}\n',
  );
});

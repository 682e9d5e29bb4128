// Formatters (CLI spec §7): golden files for every format on a TTY and piped, plus unit tests
// of the value typing and rendering rules. `UPDATE_GOLDEN=1 deno test -A tests/output/formatters_test.ts`
// rewrites the golden files; review the diff before committing it.

import { MemorySink } from "../../src/io.ts";
import { Logger } from "../../src/log.ts";
import { pyFloatRepr, pyJsonString } from "../../src/output/pyjson.ts";
import {
  type ColumnOrder,
  createFormatter,
  Duration,
  FORMAT_NAMES,
  type FormatName,
  Nested,
  type Row,
} from "../../src/output/mod.ts";
import { ColumnOrderer, parseIsoDateTime, UtcDateTime } from "../../src/output/normalise.ts";
import { durationText, fixed2, LocalTime } from "../../src/output/render.ts";
import { fitWidths, TRUNCATION_WARNING } from "../../src/output/table.ts";
import { LongText } from "../../src/output/formatter.ts";
import { tomlString } from "../../src/output/toml.ts";
import { loadTextWidth } from "../../src/output/width.ts";
import { loadStringWidth } from "../../src/deps.ts";
import { prng } from "../support/prng.ts";
import { assert, assertEquals, assertRejects } from "../support/assert.ts";

const UPDATE = Deno.env.get("UPDATE_GOLDEN") === "1";
const GOLDEN_DIR = new URL("../golden/output/", import.meta.url);

interface Terminal {
  tty?: boolean;
  color?: boolean;
  width?: number;
  timeZone?: string;
}

const PIPED: Terminal = { tty: false, color: false, timeZone: "UTC" };
const TTY_WIDE: Terminal = { tty: true, color: true, width: 200, timeZone: "UTC" };
const TTY_NARROW: Terminal = { tty: true, color: true, width: 60, timeZone: "UTC" };

/** Writes `pages` through a fresh formatter (flushing after each page) and closes it. */
async function render(
  format: FormatName,
  pages: Row[][],
  terminal: Terminal = PIPED,
  order: ColumnOrder = {},
): Promise<{ stdout: string; stderr: string }> {
  const stdout = new MemorySink(terminal.tty ?? false, terminal.width);
  const stderr = new MemorySink();
  const formatter = createFormatter(format, {
    stdout,
    log: new Logger(stderr),
    tty: terminal.tty ?? false,
    color: terminal.color ?? false,
    columns: () => terminal.width,
    timeZone: terminal.timeZone,
  });
  assertEquals(formatter.name, format);
  formatter.columns(order);
  for (const page of pages) {
    for (const row of page) await formatter.write(row);
    await formatter.flush();
  }
  await formatter.close();
  return { stdout: stdout.text(), stderr: stderr.text() };
}

async function assertGolden(name: string, actual: string): Promise<void> {
  const url = new URL(name, GOLDEN_DIR);
  if (UPDATE) {
    await Deno.mkdir(GOLDEN_DIR, { recursive: true });
    await Deno.writeTextFile(url, actual);
    return;
  }
  let expected: string;
  try {
    expected = await Deno.readTextFile(url);
  } catch (error) {
    throw new Error(`golden ${name} missing; run UPDATE_GOLDEN=1 deno test -A ${import.meta.url}`, {
      cause: error,
    });
  }
  assertEquals(actual, expected, `golden ${name} differs (UPDATE_GOLDEN=1 rewrites it)`);
}

// --- Data ----------------------------------------------------------------------------------

/** Operations as `ps` receives them: server field order, nested values, a new key on page 2. */
const OPERATIONS: Row[][] = [
  [
    {
      kind: "instance",
      uuid: "0b6f2c1e-5d4a-4c3b-9e8f-7a6b5c4d3e2f",
      status: "SUCCESS",
      error: null,
      exit_code: 0,
      created_at: "2026-02-16T21:25:30.265927Z",
      started_at: "2026-02-16T21:25:31+00:00",
      finished_at: "2026-02-16T21:26:46.765927Z",
      duration: 75.5,
      metadata: { command: "ls -l" },
      tags: ["build"],
      cost: 0.125,
    },
    {
      kind: "image_import",
      uuid: "1c7a3d2f-6e5b-4d4c-8f9a-8b7c6d5e4f3a",
      status: "FAILED",
      error: "exit status 2: No such file",
      exit_code: 2,
      created_at: "2026-02-16T22:00:00.123Z",
      started_at: null,
      finished_at: "2026-02-16T23:02:05.123Z",
      duration: 3725,
      metadata: null,
      cost: 1.5,
    },
  ],
  [
    {
      kind: "instance",
      uuid: "2d8b4e3a-7f6c-4e5d-9a0b-9c8d7e6f5a4b",
      project_id: "project-with-a-rather-long-identifier",
      status: "EXECUTING",
      error: null,
      exit_code: null,
      created_at: "2026-02-17T00:00:59.999999+00:00",
      started_at: "2026-02-17T00:01:00Z",
      duration: 4.25,
      cost: 0,
    },
  ],
];
const OPERATION_ORDER: ColumnOrder = { head: ["uuid", "status"], tail: ["error"] };

/** One row per timestamp form; `at` is human-rendered, `created_at` typed by key. */
const TIMESTAMPS: Row[] = [
  { form: "no fraction, Z", created_at: "2026-01-02T03:04:05Z" },
  { form: "3 digits, Z", created_at: "2026-01-02T03:04:05.120Z" },
  { form: "6 digits, +00:00", created_at: "2026-01-02T03:04:05.123456+00:00" },
  { form: "9 digits, +00:00", created_at: "2026-01-02T03:04:05.123456789+00:00" },
  { form: "6 zero digits", created_at: "2026-01-02T03:04:05.000000Z" },
  { form: "offset +02:00", created_at: "2026-01-02T03:04:05.5+02:00" },
  { form: "naive (SQLite, UTC)", created_at: "2026-01-02 03:04:05" },
  { form: "updated_at", updated_at: "2026-07-01T12:00:00Z" },
  { form: "not a timestamp", created_at: "yesterday" },
  { form: "null", created_at: null },
  { form: "Date value", when: new Date(Date.UTC(2026, 2, 4, 5, 6, 7, 89)) },
  { form: "numeric mtime", mtime: 1700000000.5 },
];

/** Values typed by key or by class, and JSON escapes. */
const VALUES: Row[] = [
  {
    name: "h\u00e9llo \u4e2d\u6587 \u{1F600}",
    quote: 'say "hi" \\ back',
    control: "tab\there\u0001\u007f",
    error: null,
    tag: null,
    exit_code: null,
    mode: 420,
    dir_mode: 0o40755,
    ok: true,
    timed_out: false,
    count: 12345678901234,
    ratio: 0.375,
    tiny: 1.5e-7,
    big: 1.5e17,
    nested: { dropped: true },
    list: [1, 2, 3],
  },
];

const DURATIONS: Row[] = [
  ...[0, 59.9, 60, 3599, 3600, 90061.5, 0.1234567].map((seconds) => ({ duration: seconds })),
  { duration: new Duration(2) },
  { duration: new Duration(0.25) },
];

// --- Golden: every format ------------------------------------------------------------------

for (const format of FORMAT_NAMES) {
  Deno.test(`golden: operations, -f ${format}, piped`, async () => {
    const { stdout, stderr } = await render(format, OPERATIONS, PIPED, OPERATION_ORDER);
    await assertGolden(`operations.${format}.piped.txt`, stdout);
    assertEquals(stderr, "");
  });
}

Deno.test("golden: operations, -f table on a 200-column TTY (colours; page 2 keeps widths)", async () => {
  const { stdout, stderr } = await render("table", OPERATIONS, TTY_WIDE, OPERATION_ORDER);
  await assertGolden("operations.table.tty200.txt", stdout);
  // EXECUTING (page 2) is wider than the STATUS column fixed by page 1: cut on a TTY.
  assert(stdout.includes("\x1b[34mEXECUT\u2026\x1b[39m"));
  assertEquals(stderr, `[WARNING] ${TRUNCATION_WARNING}\n`);
  const firstPage = await render("table", OPERATIONS.slice(0, 1), TTY_WIDE, OPERATION_ORDER);
  assert(stdout.startsWith(firstPage.stdout));
  assertEquals(firstPage.stderr, "");
});

Deno.test("golden: operations, -f table on a 60-column TTY (fitted, one warning)", async () => {
  const { stdout, stderr } = await render("table", OPERATIONS, TTY_NARROW, OPERATION_ORDER);
  await assertGolden("operations.table.tty60.txt", stdout);
  assertEquals(stderr, `[WARNING] ${TRUNCATION_WARNING}\n`);
});

Deno.test("default renders generic rows as table, on a TTY and piped", async () => {
  for (const terminal of [PIPED, TTY_NARROW]) {
    const table = await render("table", OPERATIONS, terminal, OPERATION_ORDER);
    const fallback = await render("default", OPERATIONS, terminal, OPERATION_ORDER);
    assertEquals(fallback, table);
  }
});

Deno.test("only table/default depend on the terminal", async () => {
  for (const format of ["plain", "json", "json-pretty", "csv", "tsv", "toml"] as const) {
    const piped = await render(format, OPERATIONS, PIPED, OPERATION_ORDER);
    const tty = await render(format, OPERATIONS, TTY_NARROW, OPERATION_ORDER);
    assertEquals(tty, piped, format);
  }
});

Deno.test("golden: human formats render datetimes in the configured zone", async () => {
  const kolkata = { ...PIPED, timeZone: "Asia/Kolkata" };
  const newYork = { ...PIPED, timeZone: "America/New_York" };
  const table = await render("table", OPERATIONS, kolkata, OPERATION_ORDER);
  await assertGolden("operations.table.kolkata.txt", table.stdout);
  const csv = await render("csv", OPERATIONS, newYork, OPERATION_ORDER);
  await assertGolden("operations.csv.new_york.txt", csv.stdout);
  // Machine formats stay UTC whatever the zone.
  assertEquals(
    (await render("json", OPERATIONS, newYork, OPERATION_ORDER)).stdout,
    (await render("json", OPERATIONS, PIPED, OPERATION_ORDER)).stdout,
  );
});

Deno.test("golden: timestamp forms in json, toml and plain", async () => {
  await assertGolden("timestamps.json.txt", (await render("json", [TIMESTAMPS])).stdout);
  await assertGolden("timestamps.toml.txt", (await render("toml", [TIMESTAMPS])).stdout);
  const paris = { ...PIPED, timeZone: "Europe/Paris" };
  await assertGolden(
    "timestamps.plain.paris.txt",
    (await render("plain", [TIMESTAMPS], paris)).stdout,
  );
});

Deno.test("golden: typed values and escapes in json, json-pretty, toml, plain", async () => {
  await assertGolden("values.json.txt", (await render("json", [VALUES])).stdout);
  await assertGolden("values.json-pretty.txt", (await render("json-pretty", [VALUES])).stdout);
  await assertGolden("values.toml.txt", (await render("toml", [VALUES])).stdout);
  await assertGolden("values.plain.txt", (await render("plain", [VALUES])).stdout);
});

Deno.test("golden: durations in json and table", async () => {
  await assertGolden("durations.json.txt", (await render("json", [DURATIONS])).stdout);
  await assertGolden("durations.table.txt", (await render("table", [DURATIONS])).stdout);
});

Deno.test("golden: csv/tsv quoting and CRLF", async () => {
  const rows: Row[] = [
    { plain: "simple", comma: "a,b", quote: 'say "hi"', newline: "one\ntwo", tab: "x\ty" },
    { plain: "", comma: "", quote: "'single'", newline: "cr\rhere", tab: " padded " },
  ];
  const csv = (await render("csv", [rows])).stdout;
  const tsv = (await render("tsv", [rows])).stdout;
  await assertGolden("quoting.csv.txt", csv);
  await assertGolden("quoting.tsv.txt", tsv);
  assertEquals(csv.split("\r\n").length, 4, "header + 2 records, each ended by CRLF");
  // A record made of one empty field is quoted, so it is not a blank line.
  assertEquals((await render("csv", [[{ only: "" }]])).stdout, 'only\r\n""\r\n');
});

Deno.test("golden: multi-line cells expand into physical lines", async () => {
  const rows: Row[] = [
    { name: "first", output: "line one\nline two\nline three\n", status: "SUCCESS" },
    { name: "second", output: "single", status: "FAILED" },
  ];
  await assertGolden("multiline.table.piped.txt", (await render("table", [rows])).stdout);
  await assertGolden(
    "multiline.table.tty60.txt",
    (await render("table", [rows], TTY_NARROW)).stdout,
  );
  await assertGolden("multiline.plain.txt", (await render("plain", [rows])).stdout);
});

Deno.test("golden: wide characters align by display width", async () => {
  const rows: Row[] = [
    { name: "\u4e2d\u6587\u540d\u5b57", note: "\u{1F600} ok", n: 1 },
    { name: "ascii", note: "caf\u00e9", n: 22 },
  ];
  await assertGolden("wide.table.piped.txt", (await render("table", [rows])).stdout);
  const narrow = { ...TTY_NARROW, width: 16, color: false };
  await assertGolden("wide.table.tty16.txt", (await render("table", [rows], narrow)).stdout);
});

// --- Table paging ---------------------------------------------------------------------------

const PAGES: Row[][] = [
  [{ name: "alpha", size: 1 }, { name: "beta", size: 22 }],
  [{ name: "a-much-longer-name", size: 333, extra: "never shown" }],
  [{ size: 4 }],
];

Deno.test("golden: table across flushes (header once, widths stable, long values whole)", async () => {
  const piped = await render("table", PAGES);
  await assertGolden("pages.table.piped.txt", piped.stdout);
  assertEquals(piped.stdout.match(/NAME/g)?.length, 1);
  assert(piped.stdout.includes("a-much-longer-name  333"), "off a TTY a long value is not cut");
  assertEquals(piped.stderr, "");

  const tty = await render("table", PAGES, { ...TTY_NARROW, color: false });
  await assertGolden("pages.table.tty60.txt", tty.stdout);
  assertEquals(tty.stderr, `[WARNING] ${TRUNCATION_WARNING}\n`);
});

Deno.test("table: flushes without rows print nothing; the warning is logged once", async () => {
  const stdout = new MemorySink(true, 12);
  const stderr = new MemorySink();
  const table = createFormatter("table", {
    stdout,
    log: new Logger(stderr),
    tty: true,
    color: false,
    columns: () => 12,
    timeZone: "UTC",
  });
  await table.flush();
  assertEquals(stdout.text(), "");
  for (let page = 0; page < 3; page++) {
    await table.write({ description: `page ${page} with a long description` });
    await table.flush();
    await table.flush();
  }
  await table.close();
  assertEquals(stdout.text(), "DESCRIPTION \npage 0 with…\npage 1 with…\npage 2 with…\n");
  assertEquals(stderr.text(), `[WARNING] ${TRUNCATION_WARNING}\n`);
});

Deno.test("table: FORCE_COLOR without a known width fits 80 columns", async () => {
  const wide = "x".repeat(100);
  const { stdout } = await render("table", [[{ wide }]], { tty: true, timeZone: "UTC" });
  assertEquals(stdout, `WIDE${" ".repeat(76)}\n${"x".repeat(79)}\u2026\n`);
});

Deno.test("table on a terminal: control characters in a cell show as \\xNN; piped, raw", async () => {
  const rows = [[{ name: "a\x1b[2Jb", title: "x\ty\nline two" }]];
  const { stdout } = await render("table", rows, { ...TTY_WIDE, color: false });
  // Was: the screen cleared mid-table, and the tab broke the columns.
  assertEquals(stdout, "NAME       TITLE   \na\\x1b[2Jb  x\\x09y  \n           line two\n");
  const piped = await render("table", rows);
  assert(piped.stdout.includes("a\x1b[2Jb"), "raw off a terminal");
  // A right-to-left override in a name would show the columns after it reversed.
  const bidi = await render("table", [[{ tag: "a\u202eb", size: 1 }]], {
    ...TTY_WIDE,
    color: false,
  });
  assertEquals(bidi.stdout, "TAG       SIZE\na\\u202eb  1   \n");
});

Deno.test("plain on a terminal: control characters and bidi controls show as \\xNN; piped, raw", async () => {
  const rows = [[{ name: "a\x1b]0;owned\x07b\rc", title: "x\ty\nline \u202etwo" }]];
  const { stdout } = await render("plain", rows, { ...TTY_WIDE, color: false });
  // Was: written raw, so a value could retitle or rewrite the terminal. Tabs and line breaks
  // stay: a value has its lines to itself.
  assertEquals(
    stdout,
    "name:  a\\x1b]0;owned\\x07b\n       c\ntitle: x\ty\n       line \\u202etwo\n",
  );
  assertEquals((await render("plain", rows)).stdout.includes("a\x1b]0;owned\x07b\n"), true);
  const text = new TextEncoder().encode("one\x1b[2J\ntwo");
  const out = new LongText(text.length, async function* () {
    yield text.subarray(0, 5);
    yield text.subarray(5);
  });
  const long = await render("plain", [[{ out }]], {
    ...TTY_WIDE,
    color: false,
  });
  assertEquals(long.stdout, "out: one\\x1b[2J\n     two\n");
});

// --- json-pretty, close ----------------------------------------------------------------------

Deno.test("json-pretty: one valid array across flushes; nothing for no rows", async () => {
  const { stdout } = await render("json-pretty", OPERATIONS, PIPED, OPERATION_ORDER);
  const parsed = JSON.parse(stdout);
  assertEquals(parsed.length, 3);
  assertEquals(Object.keys(parsed[2]), [
    "uuid",
    "status",
    "kind",
    "exit_code",
    "created_at",
    "started_at",
    "duration",
    "cost",
    "project_id",
    "error",
  ]);
  // The reference's `json.dumps(row, indent=2)` after `[\n` or `,\n`: braces at column 0.
  assert(stdout.startsWith('[\n{\n  "uuid": ') && stdout.endsWith("\n}\n]\n"));
  assertEquals(stdout.split("\n").filter((line) => line === "},").length, 2);
  for (const format of FORMAT_NAMES) {
    assertEquals((await render(format, [[], []])).stdout, "", `${format} without rows`);
  }
});

Deno.test("close is idempotent and ends writing", async () => {
  const stdout = new MemorySink();
  const formatter = createFormatter("json-pretty", {
    stdout,
    log: new Logger(new MemorySink()),
    tty: false,
    color: false,
    columns: () => undefined,
  });
  await formatter.write({ a: 1 });
  await Promise.all([formatter.close(), formatter.close()]);
  await formatter.close();
  assertEquals(stdout.text(), '[\n{\n  "a": 1\n}\n]\n');
  await assertRejects(() => formatter.write({ a: 2 }), Error, "after close");
});

Deno.test("table: close flushes what is buffered", async () => {
  const { stdout } = await render("table", []);
  assertEquals(stdout, "");
  const stdoutSink = new MemorySink();
  const table = createFormatter("table", {
    stdout: stdoutSink,
    log: new Logger(new MemorySink()),
    tty: false,
    color: false,
    columns: () => undefined,
  });
  await table.write({ a: "x" });
  assertEquals(stdoutSink.text(), "", "buffered until flush");
  await table.close();
  assertEquals(stdoutSink.text(), "A\nx\n");
});

// --- Units -----------------------------------------------------------------------------------

Deno.test("columns: head, then first-seen order remembered across rows, then tail", () => {
  const orderer = new ColumnOrderer();
  orderer.setOrder({ head: ["uuid"], tail: ["error", "uuid"] });
  const keys = (row: Row) => orderer.normalise(row).map(([key]) => key);
  assertEquals(keys({ error: null, b: 1, uuid: "u", a: 2 }), ["uuid", "b", "a", "error"]);
  assertEquals(keys({ a: 2, c: 3, b: 1, error: "x" }), ["b", "a", "c", "error"]);
  assertEquals(keys({ c: 1, nested: { x: 1 }, list: [] }), ["c"]);
});

Deno.test("typing: keys and classes", () => {
  const orderer = new ColumnOrderer();
  const row = Object.fromEntries(orderer.normalise({
    error: null,
    tag: undefined,
    other: undefined,
    mode: 0o644,
    mode_text: 420,
    duration: 1.5,
    mtime: 0,
    created_at: "2026-01-02T03:04:05Z",
    name: "created_at is typed by key only",
  }));
  assertEquals(row.error, "");
  assertEquals(row.tag, "");
  assertEquals(row.other, null);
  assertEquals(row.mode, "644");
  assertEquals(row.mode_text, 420);
  assert(row.duration instanceof Duration && row.duration.seconds === 1.5);
  assert(row.mtime instanceof UtcDateTime);
  assertEquals(row.mtime.isoformat(), "1970-01-01T00:00:00+00:00");
  assertEquals(row.name, "created_at is typed by key only");
});

Deno.test("parseIsoDateTime: Python fromisoformat semantics, naive = UTC", () => {
  const iso = (text: string) => parseIsoDateTime(text)?.isoformat();
  assertEquals(iso("2026-02-16T21:25:30.265927Z"), "2026-02-16T21:25:30.265927+00:00");
  assertEquals(iso("2026-02-16T21:25:30.2Z"), "2026-02-16T21:25:30.200000+00:00");
  assertEquals(iso("2026-02-16T21:25:30.999999999Z"), "2026-02-16T21:25:30.999999+00:00");
  assertEquals(iso("2026-02-16T21:25:30.000Z"), "2026-02-16T21:25:30+00:00");
  assertEquals(iso("2026-02-16 21:25:30"), "2026-02-16T21:25:30+00:00");
  assertEquals(iso("2026-02-16T01:00:00-05:30"), "2026-02-16T06:30:00+00:00");
  assertEquals(iso("2026-02-16T01:00:00+0100"), "2026-02-16T00:00:00+00:00");
  assertEquals(iso("2026-02-16"), "2026-02-16T00:00:00+00:00");
  assertEquals(iso("0999-12-31T23:59:59Z"), "0999-12-31T23:59:59+00:00");
  for (
    const bad of ["", "yesterday", "2026-02-30T00:00:00Z", "2026-13-01", "2026-01-01T24:00:00"]
  ) {
    assertEquals(parseIsoDateTime(bad), undefined, bad);
  }
});

Deno.test("Nested: json embeds it, json-pretty indents it as json.dumps(indent=2), others show its JSON text", async () => {
  const row = () => ({
    id: 1,
    data: new Nested({ a: [1, 2.5, {}], b: { c: "é" }, d: [], e: null }),
  });
  // Python: json.dumps(row) and "[\n" + json.dumps(row, indent=2) + "\n]\n".
  assertEquals(
    (await render("json", [[row()]])).stdout,
    '{"id": 1, "data": {"a": [1, 2.5, {}], "b": {"c": "\\u00e9"}, "d": [], "e": null}}\n',
  );
  assertEquals(
    (await render("json-pretty", [[row()]])).stdout,
    '[\n{\n  "id": 1,\n  "data": {\n    "a": [\n      1,\n      2.5,\n      {}\n    ],\n' +
      '    "b": {\n      "c": "\\u00e9"\n    },\n    "d": [],\n    "e": null\n  }\n}\n]\n',
  );
  const text = '{"a": [1, 2.5, {}], "b": {"c": "\\u00e9"}, "d": [], "e": null}';
  assertEquals(
    (await render("csv", [[row()]])).stdout,
    `id,data\r\n1,"${text.replaceAll('"', '""')}"\r\n`,
  );
  // Cells padded to the column's width, trailing padding kept (CLI spec §7).
  assertEquals(
    (await render("table", [[row()]])).stdout,
    `ID  ${"DATA".padEnd(text.length)}\n1   ${text}\n`,
  );
  assertEquals((await render("toml", [[row()]])).stdout.split("\n")[2].startsWith("data = "), true);
});

Deno.test("pyFloatRepr matches Python's repr(float)", () => {
  const cases: [number, string][] = [
    [1.5, "1.5"],
    [2, "2.0"],
    [0.1, "0.1"],
    [-0.5, "-0.5"],
    [0.0001, "0.0001"],
    [0.00001, "1e-05"],
    [1.5e-7, "1.5e-07"],
    [1e15, "1000000000000000.0"],
    [1e16, "1e+16"],
    [1.2345678901234567e17, "1.2345678901234566e+17"],
    [1e300, "1e+300"],
    [123.456, "123.456"],
    [-0, "-0.0"],
    [NaN, "NaN"],
    [-Infinity, "-Infinity"],
  ];
  for (const [value, repr] of cases) assertEquals(pyFloatRepr(value), repr, String(value));
});

Deno.test("pyJsonString escapes like json.dumps(ensure_ascii=True)", () => {
  assertEquals(pyJsonString('a"b\\c'), '"a\\"b\\\\c"');
  assertEquals(
    pyJsonString("\n\r\t\b\f\u0000\u001f\u007f"),
    '"\\n\\r\\t\\b\\f\\u0000\\u001f\\u007f"',
  );
  assertEquals(pyJsonString("\u00e9\u4e2d\u{1F600}/"), '"\\u00e9\\u4e2d\\ud83d\\ude00/"');
});

Deno.test("tomlString escapes quotes, backslashes and control characters", () => {
  assertEquals(tomlString('a"b\\c\n\u0001\u00e9'), '"a\\"b\\\\c\\n\\u0001\u00e9"');
});

Deno.test("durationText: s, m s, h m (whole seconds)", () => {
  const cases: [number, string][] = [
    [0, "0s"],
    [0.9, "0s"],
    [59.99, "59s"],
    [60, "1m0s"],
    [3599, "59m59s"],
    [3600, "1h0m"],
    [90061, "25h1m"],
    [-5, "-5s"],
  ];
  for (const [seconds, text] of cases) {
    assertEquals(durationText(new Duration(seconds)), text, String(seconds));
  }
});

Deno.test("fixed2 rounds like Python's .2f (exact ties to even)", () => {
  const cases: [number, string][] = [
    [0.125, "0.12"],
    [0.375, "0.38"],
    [2.675, "2.67"], // 2.67499999… in binary
    [1.005, "1.00"],
    [-0.125, "-0.12"],
    [0.5, "0.50"],
    [1 / 3, "0.33"],
    [NaN, "nan"],
    [Infinity, "inf"],
  ];
  for (const [value, text] of cases) assertEquals(fixed2(value), text, String(value));
});

Deno.test("LocalTime: IANA zones, DST, and an unknown zone falls back", () => {
  const instant = parseIsoDateTime("2026-07-01T12:00:00.9Z")!;
  assertEquals(new LocalTime("UTC").render(instant), "2026-07-01 12:00:00");
  assertEquals(new LocalTime("America/New_York").render(instant), "2026-07-01 08:00:00");
  assertEquals(new LocalTime(":Europe/Paris").render(instant), "2026-07-01 14:00:00");
  assertEquals(
    new LocalTime("America/New_York").render(parseIsoDateTime("2026-01-01T00:00:00Z")!),
    "2025-12-31 19:00:00",
  );
  const fallback = new LocalTime("EST5EDT,M3.2.0,M11.1.0").render(instant);
  assert(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(fallback), fallback);
});

Deno.test("display width: wide characters count 2, ANSI none; truncation", async () => {
  const text = await loadTextWidth();
  assertEquals(text.width("abc"), 3);
  assertEquals(text.width("\u4e2d\u6587"), 4);
  assertEquals(text.width("\u{1F600}"), 2);
  assertEquals(text.width("\x1b[31mred\x1b[39m"), 3);
  assertEquals(text.truncate("abcdef", 6), "abcdef");
  assertEquals(text.truncate("abcdefg", 6), "abcde\u2026");
  assertEquals(text.truncate("\u4e2d\u6587\u540d", 4), "\u4e2d\u2026");
  assertEquals(text.truncate("\x1b[31mabcdefg\x1b[39m", 4), "\x1b[31mabc\x1b[0m\u2026");
  assertEquals(text.padEnd("\u4e2d", 4), "\u4e2d  ");
});

Deno.test("display width: ASCII with controls and escapes measures as string-width does", async () => {
  const text = await loadTextWidth();
  const stringWidth = (await loadStringWidth()).default;
  const random = prng(21);
  const parts = ["a", "Z", " ", "~", "\t", "\r", "\n", "\r\n", "\x00", "\x07", "\x7f", "\x1b"];
  parts.push("\x1b[1;31m", "\x1b[0m", "\x1b]8;;http://x\x07link\x1b]8;;\x07", "\x1b[2K", "\x1b[");
  for (let i = 0; i < 2000; i++) {
    let sample = "";
    for (let n = Math.floor(random() * 12); n > 0; n--) {
      sample += parts[Math.floor(random() * parts.length)];
    }
    assertEquals(text.width(sample), stringWidth(sample), JSON.stringify(sample));
  }
});

Deno.test("fitWidths: narrow columns keep their width, wide ones share the rest (min 3)", () => {
  assertEquals(fitWidths([4, 10, 20], 80), [4, 10, 20]);
  assertEquals(fitWidths([4, 30, 40], 40), [4, 16, 16]);
  assertEquals(fitWidths([4, 30, 40], 41), [4, 17, 16]);
  assertEquals(fitWidths([10, 2, 10, 10], 20), [4, 2, 4, 4]);
  assertEquals(fitWidths([10, 10, 10, 10], 12), [3, 3, 3, 3]);
});

Deno.test("writeRows: the same bytes as one write per row, in every format; a few writes, not one per row", async () => {
  const rows: Row[] = Array.from({ length: 2000 }, (_, i) => ({
    path: `file-${i}.txt`,
    size: i,
    note: i % 7 === 0 ? 'tab\there, "quoted", ünï' : null,
  }));
  for (const format of FORMAT_NAMES) {
    const run = async (batched: boolean) => {
      const stdout = new MemorySink(false);
      const formatter = createFormatter(format, {
        stdout,
        log: new Logger(new MemorySink()),
        tty: false,
        color: false,
        columns: () => undefined,
        timeZone: "UTC",
      });
      formatter.columns({ tail: ["note"] });
      if (batched) await formatter.writeRows(rows);
      else for (const row of rows) await formatter.write(row);
      await formatter.flush();
      await formatter.close();
      return { text: stdout.text(), writes: stdout.chunks.length };
    };
    const single = await run(false);
    const batched = await run(true);
    assertEquals(batched.text, single.text, format);
    assert(batched.writes <= 10, `${format}: ${batched.writes} writes for 2000 rows`);
  }
});

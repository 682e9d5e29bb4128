// The formatter contract (CLI spec §7). Every command emits records as rows through the one
// formatter of the process, chosen by `-f/--format`.

import type { Sink } from "../io.ts";
import type { Logger } from "../log.ts";

export const FORMAT_NAMES = [
  "default",
  "plain",
  "json",
  "json-pretty",
  "table",
  "csv",
  "tsv",
  "toml",
] as const;
export type FormatName = typeof FORMAT_NAMES[number];

/** One record. Nested values (objects, arrays) are dropped by every formatter, unless `Nested`. */
export type Row = Record<string, unknown>;

/** Pinned columns: `head` keys first, then new keys in first-seen order, then `tail` keys. */
export interface ColumnOrder {
  head?: readonly string[];
  tail?: readonly string[];
}

export interface FormatterDeps {
  stdout: Sink;
  log: Logger;
  /** stdout is a terminal (or FORCE_COLOR): tables fit the width, status words are coloured. */
  tty: boolean;
  /** ANSI colours allowed on stdout. */
  color: boolean;
  /** Terminal width, when known. */
  columns(): number | undefined;
  /** IANA zone for human datetimes (tests pin it); the local zone when undefined. */
  timeZone?: string;
}

export interface Formatter {
  readonly name: FormatName;
  /** Sets the pinned columns; call before the first row. */
  columns(order: ColumnOrder): void;
  /** Emits one row (buffered by `table`/`default` until `flush`). */
  write(row: Row): Promise<void>;
  /**
   * Emits rows that go out together (a page, a listing): the streaming formats write them in
   * few writes, where `write` waits for each row's own write (it must be out at once).
   */
  writeRows(rows: Iterable<Row>): Promise<void>;
  /** Writes buffered rows (commands flush after each page). Not to be overlapped with itself. */
  flush(): Promise<void>;
  /** Flushes and writes any trailer (`]` of json-pretty). Idempotent. */
  close(): Promise<void>;
}

/**
 * Prints each row at once (write, then flush), one after another whoever calls: for rows that
 * come from concurrent work (a table's flushes that overlapped mixed their cells).
 */
export function rowPrinter(out: Formatter): (row: Row) => Promise<void> {
  let turn = Promise.resolve();
  return (row) => {
    const printed = turn.then(async () => {
      await out.write(row);
      await out.flush();
    });
    turn = printed.catch(() => {});
    return printed;
  };
}

/** A duration in seconds, rendered `Ns` / `MmSs` / `HhMm` and emitted as float seconds in JSON. */
export class Duration {
  constructor(readonly seconds: number) {}
}

/**
 * A nested value a row keeps (an event's `data`): the JSON formats embed it, the others show
 * its compact JSON text — what the reference's newer formatters do with every nested value.
 */
export class Nested {
  constructor(readonly value: unknown) {}
}

/** Bytes decoded per piece of a LongText: each piece, escaped, stays a small string. */
const LONG_TEXT_PIECE_BYTES = 16 * 1024;

/**
 * A text value too long to hold as one string (a run's whole output): its UTF-8 bytes, read in
 * pieces (a piece may be reused for the next one: use it before asking for more). Every
 * formatter writes a long one in pieces; a short one is handled as the string it decodes to.
 */
export class LongText {
  constructor(
    readonly byteLength: number,
    readonly chunks: () => AsyncIterable<Uint8Array>,
  ) {}

  /**
   * The text in pieces of at most 16 KiB of UTF-8, never empty, decoded as one `TextDecoder`
   * decodes the whole (invalid UTF-8 becomes U+FFFD). The pieces stay far below V8's 128 KiB
   * regular-object limit (larger strings live in the large-object space, which only a full GC
   * frees).
   */
  async *pieces(): AsyncGenerator<string> {
    const decoder = new TextDecoder();
    for await (const chunk of this.chunks()) {
      for (let at = 0; at < chunk.length; at += LONG_TEXT_PIECE_BYTES) {
        const piece = decoder.decode(chunk.subarray(at, at + LONG_TEXT_PIECE_BYTES), {
          stream: true,
        });
        if (piece) yield piece;
      }
    }
    const rest = decoder.decode();
    if (rest) yield rest;
  }

  /** The whole text. */
  async text(): Promise<string> {
    let text = "";
    for await (const piece of this.pieces()) text += piece;
    return text;
  }
}

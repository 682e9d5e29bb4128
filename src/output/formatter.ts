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
  /** Writes buffered rows (commands flush after each page). */
  flush(): Promise<void>;
  /** Flushes and writes any trailer (`]` of json-pretty). Idempotent. */
  close(): Promise<void>;
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

/**
 * A text value too long to hold as one string (a run's whole output): its UTF-8 bytes, read in
 * pieces (a piece may be reused for the next one: use it before asking for more). The JSON
 * formats stream it; the others decode it whole.
 */
export class LongText {
  constructor(
    readonly byteLength: number,
    readonly chunks: () => AsyncIterable<Uint8Array>,
  ) {}

  /** The whole text (invalid UTF-8 becomes U+FFFD, as `new TextDecoder()` decodes it). */
  async text(): Promise<string> {
    const decoder = new TextDecoder();
    let text = "";
    for await (const chunk of this.chunks()) text += decoder.decode(chunk, { stream: true });
    return text + decoder.decode();
  }
}

// What every formatter shares: pinned columns, row normalisation, idempotent close.

import {
  type ColumnOrder,
  type FormatName,
  type Formatter,
  type FormatterDeps,
  LongText,
  Nested,
  type Row,
} from "./formatter.ts";
import { GatheredWriter } from "../io.ts";
import { ColumnOrderer, type NormalRow } from "./normalise.ts";
import { pyJsonDump } from "./pyjson.ts";

/** From this size on a LongText reaches `emit` as it is, to be written in pieces. */
export const LONG_TEXT_BYTES = 256 * 1024;

export abstract class RowFormatter implements Formatter {
  readonly #orderer = new ColumnOrderer();
  #closing?: Promise<void>;
  /** Inside `writeRows`: a row's end does not wait for its write. */
  #batch = false;

  /** Where `emit` writes; a row written at once ends with `rowEnd`. */
  protected readonly out: GatheredWriter;

  constructor(readonly name: FormatName, protected readonly deps: FormatterDeps) {
    this.out = new GatheredWriter(deps.stdout);
  }

  columns(order: ColumnOrder): void {
    this.#orderer.setOrder(order);
  }

  /** Whether `emit` writes Nested values as JSON; else they arrive as their compact JSON text. */
  protected readonly embedsNested: boolean = false;

  async write(row: Row): Promise<void> {
    if (this.#closing) throw new Error("formatter: write after close");
    // A short LongText is handled as its string: only long ones are written in pieces.
    const asText = (value: unknown) =>
      (value instanceof LongText && value.byteLength < LONG_TEXT_BYTES) ||
      (value instanceof Nested && !this.embedsNested);
    if (Object.values(row).some(asText)) {
      row = { ...row };
      for (const [key, value] of Object.entries(row)) {
        if (!asText(value)) continue;
        row[key] = value instanceof LongText
          ? await value.text()
          : pyJsonDump((value as Nested).value);
      }
    }
    return await this.emit(this.#orderer.normalise(row));
  }

  async writeRows(rows: Iterable<Row>): Promise<void> {
    this.#batch = true;
    try {
      for (const row of rows) await this.write(row);
    } finally {
      this.#batch = false;
    }
    await this.out.flush();
  }

  /** Ends a row that is written at once: out now, unless more rows of a batch follow. */
  protected rowEnd(): Promise<void> {
    return this.#batch ? Promise.resolve() : this.out.flush();
  }

  /** What a streaming format still holds (a batch cut short by an error) goes out. */
  flush(): Promise<void> {
    return this.out.flush();
  }

  close(): Promise<void> {
    this.#closing ??= this.flush().then(() => this.finish());
    return this.#closing;
  }

  /** Handles one normalised row (write it, or buffer it until `flush`). */
  protected abstract emit(row: NormalRow): Promise<void>;

  /** Writes the trailer, once, after the final flush. */
  protected finish(): Promise<void> {
    return Promise.resolve();
  }
}

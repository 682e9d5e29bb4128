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
import { ColumnOrderer, type NormalRow } from "./normalise.ts";
import { pyJsonDump } from "./pyjson.ts";

export abstract class RowFormatter implements Formatter {
  readonly #orderer = new ColumnOrderer();
  #closing?: Promise<void>;

  constructor(readonly name: FormatName, protected readonly deps: FormatterDeps) {}

  columns(order: ColumnOrder): void {
    this.#orderer.setOrder(order);
  }

  /** Whether `emit` writes LongText values itself (in pieces); else they arrive as strings. */
  protected readonly streamsLongText: boolean = false;
  /** Whether `emit` writes Nested values as JSON; else they arrive as their compact JSON text. */
  protected readonly embedsNested: boolean = false;

  async write(row: Row): Promise<void> {
    if (this.#closing) throw new Error("formatter: write after close");
    const asText = (value: unknown) =>
      (value instanceof LongText && !this.streamsLongText) ||
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

  flush(): Promise<void> {
    return Promise.resolve();
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

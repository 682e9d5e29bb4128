// What every formatter shares: pinned columns, row normalisation, idempotent close.

import type { ColumnOrder, FormatName, Formatter, FormatterDeps, Row } from "./formatter.ts";
import { ColumnOrderer, type NormalRow } from "./normalise.ts";

export abstract class RowFormatter implements Formatter {
  readonly #orderer = new ColumnOrderer();
  #closing?: Promise<void>;

  constructor(readonly name: FormatName, protected readonly deps: FormatterDeps) {}

  columns(order: ColumnOrder): void {
    this.#orderer.setOrder(order);
  }

  write(row: Row): Promise<void> {
    if (this.#closing) return Promise.reject(new Error("formatter: write after close"));
    return this.emit(this.#orderer.normalise(row));
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

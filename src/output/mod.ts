// Formatter factory. (Interim: every format writes JSON lines until the formatter module
// lands; see issue 2.)

import type { FormatName, Formatter, FormatterDeps, Row } from "./formatter.ts";

export * from "./formatter.ts";

export function createFormatter(name: FormatName, deps: FormatterDeps): Formatter {
  return {
    name,
    columns() {},
    async write(row: Row) {
      const flat = Object.fromEntries(
        Object.entries(row).filter(([, v]) => v === null || typeof v !== "object"),
      );
      await deps.stdout.write(JSON.stringify(flat) + "\n");
    },
    async flush() {},
    async close() {},
  };
}

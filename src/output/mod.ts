// Formatter factory (CLI spec §7): one formatter per process, chosen by `-f/--format`.

import { DelimitedFormatter } from "./delimited.ts";
import type { FormatName, Formatter, FormatterDeps } from "./formatter.ts";
import { JsonLinesFormatter, JsonPrettyFormatter } from "./json.ts";
import { PlainFormatter } from "./plain.ts";
import { TableFormatter } from "./table.ts";
import { TomlFormatter } from "./toml.ts";

export * from "./formatter.ts";

export function createFormatter(name: FormatName, deps: FormatterDeps): Formatter {
  switch (name) {
    case "default":
    case "table":
      return new TableFormatter(name, deps);
    case "plain":
      return new PlainFormatter(deps);
    case "json":
      return new JsonLinesFormatter(name, deps);
    case "json-pretty":
      return new JsonPrettyFormatter(name, deps);
    case "csv":
    case "tsv":
      return new DelimitedFormatter(name, deps);
    case "toml":
      return new TomlFormatter(name, deps);
  }
}

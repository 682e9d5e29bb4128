// A reader/writer for the INI dialect of Python's configparser, which the reference CLI uses
// for auth.ini and cli.ini. Hand-written because the npm `ini` package nests sections on
// dots (`[profile:a.b]`) and does not know configparser's DEFAULT section.
//
// Dialect: `[section]` headers (case-sensitive), `key = value` or `key: value` (keys are
// lower-cased, both sides trimmed), full-line comments starting with `#` or `;`, continuation
// lines (indented deeper than the key's line) appended with "\n", and `[DEFAULT]` values
// visible in every section.
// Values are read through configparser's BasicInterpolation, as the reference reads them (`%%`
// is `%`, `%(key)s` the key's value in its section or `[DEFAULT]`) and written with every `%`
// doubled, so a token holding `%` reads back the same in both programs.

export class IniFile {
  /** Keys of `[DEFAULT]`, inherited by every section. */
  readonly defaults = new Map<string, string>();
  /** Sections in file order, each with its own keys in file order. */
  readonly sections = new Map<string, Map<string, string>>();

  static parse(text: string, source = "<ini>"): IniFile {
    const ini = new IniFile();
    let current: Map<string, string> | undefined;
    let lastKey: string | undefined;
    // configparser's rule: a line continues the value above only when it is indented deeper
    // than the line that started that value (or the section header).
    let indentLevel = 0;
    const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
    lines.forEach((raw, index) => {
      const trimmed = raw.trim();
      if (trimmed.startsWith("#") || trimmed.startsWith(";")) return;
      if (trimmed === "") {
        // A blank line inside a value is part of it (trailing ones are dropped at the end).
        if (current && lastKey !== undefined) current.set(lastKey, `${current.get(lastKey)}\n`);
        return;
      }
      const indent = raw.length - raw.trimStart().length;
      if (current && lastKey !== undefined && indent > indentLevel) {
        current.set(lastKey, `${current.get(lastKey)}\n${trimmed}`);
        return;
      }
      indentLevel = indent;
      // As configparser's SECTCRE: anything may follow the closing bracket (a comment).
      const header = /^\[(.+)\]/.exec(trimmed);
      if (header) {
        const name = header[1];
        if (name === "DEFAULT") current = ini.defaults;
        else {
          current = ini.sections.get(name) ?? new Map();
          ini.sections.set(name, current);
        }
        lastKey = undefined;
        return;
      }
      const delimiter = /[=:]/.exec(trimmed);
      if (!current || !delimiter || delimiter.index === 0) {
        throw new SyntaxError(`${source}, line ${index + 1}: cannot parse ${JSON.stringify(raw)}`);
      }
      const key = trimmed.slice(0, delimiter.index).trim().toLowerCase();
      current.set(key, trimmed.slice(delimiter.index + 1).trim());
      lastKey = key;
    });
    for (const section of [ini.defaults, ...ini.sections.values()]) {
      for (const [key, value] of section) section.set(key, value.trimEnd());
    }
    const raw = (section: Map<string, string>) => new Map(section);
    const rawDefaults = raw(ini.defaults);
    for (const section of [ini.defaults, ...ini.sections.values()]) {
      const own = raw(section);
      const lookup = (key: string) => own.get(key) ?? rawDefaults.get(key);
      for (const [key, value] of own) section.set(key, interpolate(value, lookup));
    }
    return ini;
  }

  /** A key of a section, falling back to `[DEFAULT]` as configparser does. */
  get(section: string, key: string): string | undefined {
    return this.sections.get(section)?.get(key) ?? this.defaults.get(key);
  }

  section(name: string): Map<string, string> {
    let section = this.sections.get(name);
    if (!section) {
      section = new Map();
      this.sections.set(name, section);
    }
    return section;
  }

  /** Serialises like configparser.write: `key = value`, a blank line after each section. */
  toString(): string {
    const parts: string[] = [];
    const emit = (name: string, entries: Map<string, string>) => {
      parts.push(`[${name}]\n`);
      for (const [key, value] of entries) {
        parts.push(`${key} = ${value.replaceAll("%", "%%").replaceAll("\n", "\n\t")}\n`);
      }
      parts.push("\n");
    };
    if (this.defaults.size > 0) emit("DEFAULT", this.defaults);
    for (const [name, entries] of this.sections) emit(name, entries);
    return parts.join("");
  }
}

/** configparser's limit on `%(key)s` within `%(key)s`. */
const MAX_INTERPOLATION_DEPTH = 10;

/**
 * A raw value as configparser's BasicInterpolation reads it. What configparser would refuse (a
 * lone `%`, an unknown or too deep `%(key)s`) is kept as written rather than failing the file.
 */
function interpolate(
  value: string,
  lookup: (key: string) => string | undefined,
  depth = 0,
): string {
  return value.replace(/%%|%\(([^)]+)\)s/g, (match, key: string | undefined) => {
    if (key === undefined) return "%";
    const referenced = lookup(key.toLowerCase());
    if (referenced === undefined || depth >= MAX_INTERPOLATION_DEPTH) return match;
    return interpolate(referenced, lookup, depth + 1);
  });
}

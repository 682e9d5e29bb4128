// Words of a shell line, with POSIX shell quoting as Python's shlex.split reads it (the
// reference shell's tokenizer; the scanner is src/shell_words.ts): it serves dispatch (complete
// lines), continuation (is the line still open?) and completion (the word being typed).

import { type Scan, scannedWords, scanShellWords } from "../shell_words.ts";

export type { Scan };

/** Scans as Python's shlex (posix): in "…" only " and \ are escapable. */
export function scanWords(text: string): Scan {
  return scanShellWords(text, '"\\');
}

/** The words of a complete line; a line left open is a parse error, reported as shlex does. */
export function lineWords(text: string): string[] {
  const scan = scanWords(text);
  if (scan.open === "\\") throw new SyntaxError("No escaped character");
  if (scan.open) throw new SyntaxError("No closing quotation");
  return scannedWords(scan);
}

/** Whether the line needs another line: an open quote or a trailing backslash. */
export function isOpen(text: string): boolean {
  return scanWords(text).open !== undefined;
}

/** The lines joined as one: newline-separated, backslash-newline pairs removed. */
export function joinContinued(lines: readonly string[]): string {
  return lines.join("\n").replaceAll("\\\n", "");
}

/** `timeout` DURATION: N, Ns, Nm, Nh or Nd (decimals allowed), in whole seconds (> 0). */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(text);
  if (!match) return undefined;
  const unit = { "": 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as "" | "s" | "m" | "h" | "d"];
  const seconds = Math.floor(Number(match[1]) * unit);
  return seconds > 0 ? seconds : undefined;
}

/** `timeout DURATION COMMAND…` → the seconds and the rest of the line, verbatim. */
export function timeoutPrefix(line: string): { seconds: number; rest: string } | undefined {
  const match = /^timeout\s+(\S+)\s+(\S[\s\S]*)$/.exec(line.trim());
  if (!match) return undefined;
  const seconds = parseDuration(match[1]);
  return seconds === undefined ? undefined : { seconds, rest: match[2] };
}

/** A string as Python's repr() shows it (the reference's `(no matches for 'x')`). */
export function pythonRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const body = text.replaceAll("\\", "\\\\").replaceAll("\n", "\\n").replaceAll("\t", "\\t");
  return quote + (quote === "'" ? body.replaceAll("'", "\\'") : body) + quote;
}

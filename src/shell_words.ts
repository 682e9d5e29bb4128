// POSIX-shell-like word splitting and quoting, for command strings the user configures (e.g.
// EDITOR="code --wait"), the lines of the interactive shell (src/shell/words.ts) and shell
// lines contree prints. No expansion of any kind.

import { UsageError } from "./errors.ts";

export interface Scan {
  words: string[];
  /** What leaves the line open: a quote, or a trailing backslash; undefined when complete. */
  open?: "'" | '"' | "\\";
  /** The last word when the text does not end in whitespace (the word being typed). */
  partial?: { value: string; raw: string };
}

/**
 * Scans `text` into words: whitespace separates, '…' is literal, a backslash escapes the next
 * character outside quotes and, inside "…", the characters of `escapable`. Reports what leaves
 * the text open and the word being typed at its end.
 */
export function scanShellWords(text: string, escapable: string): Scan {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let start = 0;
  let open: Scan["open"];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (!inWord && !/\s/.test(c)) {
      inWord = true;
      start = i;
    }
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) {
        word += text.slice(i + 1);
        open = "'";
        break;
      }
      word += text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === "\\" && j + 1 < text.length && escapable.includes(text[j + 1])) j++;
        word += text[j];
      }
      if (j >= text.length) {
        open = '"';
        break;
      }
      i = j;
    } else if (c === "\\") {
      if (i + 1 >= text.length) {
        open = "\\";
        break;
      }
      word += text[++i];
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
    }
  }
  if (!inWord) return { words, open };
  return { words, open, partial: { value: word, raw: text.slice(start) } };
}

/** All the words of a scan, the one at the end included. */
export function scannedWords(scan: Scan): string[] {
  return scan.partial ? [...scan.words, scan.partial.value] : scan.words;
}

/** Splits `text` into words: whitespace separates, '…' is literal, "…" and \ escape. */
export function splitShellWords(text: string): string[] {
  const scan = scanShellWords(text, '"\\$`');
  if (scan.open === "'" || scan.open === '"') {
    throw new UsageError(`Unterminated quote in '${text}'`);
  }
  return scannedWords(scan);
}

/**
 * A word for fish, which reads `\\` and `\'` inside single quotes as escapes (POSIX quoting
 * of a word with a backslash before a quote ran what followed it).
 */
export function fishQuote(word: string): string {
  if (word === "") return "''";
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/[\\']/g, "\\$&")}'`;
}

/** `word` quoted for a POSIX shell as Python's shlex.quote does (unchanged when it is safe). */
export function shellQuote(word: string): string {
  if (word === "") return "''";
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'"'"'`)}'`;
}

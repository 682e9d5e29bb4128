// Words of a shell line, with POSIX shell quoting as Python's shlex.split reads it (the
// reference shell's tokenizer): whitespace separates; '…' is literal; in "…" a backslash
// escapes " and \; elsewhere a backslash escapes any character. No expansion, no comments.
// One scanner serves the three readers: dispatch (complete lines), continuation (is the line
// still open?) and completion (the word being typed).

export interface Scan {
  words: string[];
  /** What leaves the line open: a quote, or a trailing backslash; undefined when complete. */
  open?: "'" | '"' | "\\";
  /** The last word when the text does not end in whitespace (the word being typed). */
  partial?: { value: string; raw: string; quoted: boolean };
}

export function scanWords(text: string): Scan {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let start = 0;
  let quoted = false;
  let open: Scan["open"];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (!inWord && !/\s/.test(c)) {
      inWord = true;
      start = i;
      quoted = false;
    }
    if (c === "'") {
      quoted = true;
      const end = text.indexOf("'", i + 1);
      if (end < 0) {
        word += text.slice(i + 1);
        open = "'";
        break;
      }
      word += text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      quoted = true;
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (
          text[j] === "\\" && j + 1 < text.length && (text[j + 1] === '"' || text[j + 1] === "\\")
        ) {
          j++;
        }
        word += text[j];
      }
      if (j >= text.length) {
        open = '"';
        break;
      }
      i = j;
    } else if (c === "\\") {
      quoted = true;
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
  return { words, open, partial: { value: word, raw: text.slice(start), quoted } };
}

/** The words of a complete line; a line left open is a parse error, reported as shlex does. */
export function lineWords(text: string): string[] {
  const scan = scanWords(text);
  if (scan.open === "\\") throw new SyntaxError("No escaped character");
  if (scan.open) throw new SyntaxError("No closing quotation");
  return scan.partial ? [...scan.words, scan.partial.value] : scan.words;
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

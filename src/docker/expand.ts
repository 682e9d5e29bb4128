// Docker's word processing for Dockerfile arguments (BuildKit's shell lexer, the subset builds
// use): `$NAME`, `${NAME}`, `${NAME:-word}`, `${NAME-word}`, `${NAME:+word}`, `${NAME+word}`,
// `${NAME:?message}`, `${NAME?message}`; single quotes are literal, double quotes allow `$`
// expansion, and the escape character (`\` or the `# escape=` one) quotes the next character.
// Unknown names expand to "". Quotes and escapes are removed from the result, as Docker does for
// ENV, ARG, WORKDIR, USER, COPY and ADD arguments.

export class ExpandError extends Error {}

export interface ExpandOptions {
  /** The Dockerfile's escape character (`\` unless `# escape=` says otherwise). */
  escape?: string;
  /** False for heredoc bodies: quotes are ordinary characters, only `$` and escapes count. */
  quotes?: boolean;
}

export type Lookup = (name: string) => string | undefined;

class Scanner {
  at = 0;
  constructor(readonly text: string) {}

  peek(): string | undefined {
    return this.at < this.text.length ? this.text[this.at] : undefined;
  }

  next(): string | undefined {
    return this.at < this.text.length ? this.text[this.at++] : undefined;
  }
}

class WordProcessor {
  readonly #scanner: Scanner;
  readonly #escape: string;
  readonly #quotes: boolean;

  constructor(text: string, private readonly lookup: Lookup, options: ExpandOptions) {
    this.#scanner = new Scanner(text);
    this.#escape = options.escape ?? "\\";
    this.#quotes = options.quotes ?? true;
  }

  /** Reads until `stop` (consumed) or the end; an unmatched `stop` is an error. */
  process(stop?: string): string {
    const s = this.#scanner;
    let result = "";
    for (;;) {
      const ch = s.peek();
      if (ch === undefined) {
        if (stop !== undefined) throw new ExpandError(`missing '${stop}' in substitution`);
        return result;
      }
      if (stop !== undefined && ch === stop) {
        s.next();
        return result;
      }
      if (this.#quotes && ch === "'") result += this.#singleQuoted();
      else if (this.#quotes && ch === '"') result += this.#doubleQuoted();
      else if (ch === "$") result += this.#dollar();
      else {
        s.next();
        if (ch === this.#escape) {
          const escaped = s.next();
          if (escaped !== undefined) result += escaped; // a trailing escape is dropped
        } else result += ch;
      }
    }
  }

  #singleQuoted(): string {
    const s = this.#scanner;
    s.next();
    let result = "";
    for (;;) {
      const ch = s.next();
      if (ch === undefined) throw new ExpandError("unterminated single quote");
      if (ch === "'") return result;
      result += ch;
    }
  }

  #doubleQuoted(): string {
    const s = this.#scanner;
    s.next();
    let result = "";
    for (;;) {
      const ch = s.peek();
      if (ch === undefined) throw new ExpandError("unterminated double quote");
      if (ch === '"') {
        s.next();
        return result;
      }
      if (ch === "$") {
        result += this.#dollar();
        continue;
      }
      s.next();
      if (ch === this.#escape) {
        const after = s.peek();
        // Only `"`, `$` and the escape character itself can be escaped inside double quotes.
        if (after === '"' || after === "$" || after === this.#escape) {
          result += s.next();
          continue;
        }
      }
      result += ch;
    }
  }

  #name(): string {
    const s = this.#scanner;
    let name = "";
    const first = s.peek();
    if (first !== undefined && /[0-9]/.test(first)) {
      while (s.peek() !== undefined && /[0-9]/.test(s.peek()!)) name += s.next();
      return name;
    }
    while (s.peek() !== undefined && /[A-Za-z0-9_]/.test(s.peek()!)) name += s.next();
    return name;
  }

  #dollar(): string {
    const s = this.#scanner;
    s.next(); // "$"
    if (s.peek() !== "{") {
      const name = this.#name();
      return name === "" ? "$" : this.lookup(name) ?? "";
    }
    s.next(); // "{"
    const name = this.#name();
    if (name === "") throw new ExpandError("bad substitution: empty variable name");
    const value = this.lookup(name);
    let modifier = s.next();
    if (modifier === "}") return value ?? "";
    const colon = modifier === ":";
    if (colon) modifier = s.next();
    if (modifier !== "-" && modifier !== "+" && modifier !== "?") {
      throw new ExpandError(
        modifier === undefined
          ? `missing '}' in substitution of ${name}`
          : `unsupported modifier '${colon ? ":" : ""}${modifier}' in substitution of ${name}`,
      );
    }
    const word = this.process("}");
    const set = colon ? value !== undefined && value !== "" : value !== undefined;
    if (modifier === "-") return set ? value! : word;
    if (modifier === "+") return set ? word : "";
    if (!set) throw new ExpandError(`${name}: ${word || "is not allowed to be unset"}`);
    return value!;
  }
}

/** Processes one Dockerfile word: substitution, quote and escape removal. */
export function expandWord(word: string, lookup: Lookup, options: ExpandOptions = {}): string {
  return new WordProcessor(word, lookup, options).process();
}

/**
 * Splits arguments at unquoted whitespace, keeping quotes and escapes in the words (they are
 * removed later by `expandWord`), as Docker splits `ARG a=1 b="x y"`.
 */
export function splitWords(text: string, escape = "\\"): string[] {
  const words: string[] = [];
  let word = "";
  let quote: string | undefined;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote === undefined && /\s/.test(ch)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      continue;
    }
    inWord = true;
    word += ch;
    if (ch === escape && quote !== "'" && i + 1 < text.length) word += text[++i];
    else if (quote === undefined && (ch === "'" || ch === '"')) quote = ch;
    else if (ch === quote) quote = undefined;
  }
  if (inWord) words.push(word);
  return words;
}

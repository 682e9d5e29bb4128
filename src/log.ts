// `[LEVEL] message` lines on stderr, coloured when stderr is a TTY (or FORCE_COLOR).

import type { Sink } from "./io.ts";
import { type StyleName, Styler } from "./style.ts";

export const LOG_LEVELS = ["debug", "info", "warning", "error", "critical"] as const;
export type LogLevel = typeof LOG_LEVELS[number];

const RANK: Record<LogLevel, number> = {
  debug: 10,
  info: 20,
  warning: 30,
  error: 40,
  critical: 50,
};
const LABEL_STYLE: Record<LogLevel, StyleName[]> = {
  debug: ["cyan"],
  info: ["green"],
  warning: ["yellow"],
  error: ["red"],
  critical: ["red", "bold"],
};

/**
 * Control characters other than line breaks and tabs: C0, DEL and C1 (ESC starts them all) —
 * what can drive a terminal — and the bidirectional embeddings, overrides and isolates (U+202A–E,
 * U+2066–9), which reorder what follows them on the line (a name could reverse the columns after it).
 */
// deno-lint-ignore no-control-regex -- matching control characters is the point
export const TERMINAL_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;
/** Every control character, line breaks and tabs too: for a value shown within one line. */
// deno-lint-ignore no-control-regex -- matching control characters is the point
const CONTROL_IN_LINE = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

/** visibleText's option for a value shown within a line of a listing. */
export const IN_LINE = { inLine: true } as const;

/**
 * A message with its control characters shown as `\xNN` (`\uNNNN` for the bidi ones): messages quote paths, names and server
 * texts, and raw ones could retitle, recolour or rewrite the user's terminal. `inLine`: line
 * breaks and tabs too, for a value that must stay within its line (a row cannot be forged).
 */
export function visibleText(message: string, { inLine = false } = {}): string {
  return message.replace(
    inLine ? CONTROL_IN_LINE : TERMINAL_CONTROL,
    (char) => {
      const code = char.charCodeAt(0);
      return code > 0xff ? `\\u${code.toString(16)}` : `\\x${code.toString(16).padStart(2, "0")}`;
    },
  );
}

export class Logger {
  readonly #styler: Styler;
  #beforeLine?: () => void;

  constructor(private readonly sink: Sink, public level: LogLevel = "info", color = false) {
    this.#styler = new Styler(color);
  }

  /** Runs `clear` before each line is written (a live status line on the same terminal). */
  beforeLine(clear: (() => void) | undefined): void {
    this.#beforeLine = clear;
  }

  enabled(level: LogLevel): boolean {
    return RANK[level] >= RANK[this.level];
  }

  debug(message: string): void {
    this.log("debug", message);
  }
  info(message: string): void {
    this.log("info", message);
  }
  warning(message: string): void {
    this.log("warning", message);
  }
  error(message: string): void {
    this.log("error", message);
  }
  critical(message: string): void {
    this.log("critical", message);
  }

  log(level: LogLevel, message: string): void {
    if (!this.enabled(level)) return;
    const label = this.#styler.apply(`[${level.toUpperCase()}]`, ...LABEL_STYLE[level]);
    let text = visibleText(message);
    if (level === "debug") text = this.#styler.apply(text, "gray");
    if (level === "critical") text = this.#styler.apply(text, "red");
    this.#beforeLine?.();
    // Logging never fails the command: a closed stderr is ignored.
    this.sink.write(`${label} ${text}\n`).catch(() => {});
  }
}

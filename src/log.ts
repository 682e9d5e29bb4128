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

export class Logger {
  readonly #styler: Styler;

  constructor(private readonly sink: Sink, public level: LogLevel = "info", color = false) {
    this.#styler = new Styler(color);
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
    let text = message;
    if (level === "debug") text = this.#styler.apply(message, "gray");
    if (level === "critical") text = this.#styler.apply(message, "red");
    // Logging never fails the command: a closed stderr is ignored.
    this.sink.write(`${label} ${text}\n`).catch(() => {});
  }
}

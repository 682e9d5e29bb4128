// Progress of long transfers on stderr (CLI spec §8.7 cp): on a terminal one line redrawn in
// place (bytes, bar, %, speed, ETA); elsewhere an `[INFO] … downloaded …` line every 5 s. Also the
// one-line status used while waiting for imports.

import type { Clock } from "../context.ts";
import type { Sink } from "../io.ts";
import type { Logger } from "../log.ts";

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** `%.1f` with binary units: `512.0 B`, `1.5 MiB`. */
export function formatSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** `Ns`, `MmSSs`, `HhMMmSSs`. */
export function formatEta(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const s = total % 60;
  const m = Math.floor(total / 60) % 60;
  const h = Math.floor(total / 3600);
  const pad = (n: number) => String(n).padStart(2, "0");
  if (total < 60) return `${total}s`;
  if (total < 3600) return `${m}m${pad(s)}s`;
  return `${h}h${pad(m)}m${pad(s)}s`;
}

/**
 * One line on a terminal that is rewritten in place: cut to the terminal's width (a line that
 * wraps leaves its first row behind at every redraw), and cleared before each log line.
 */
export class StatusLine {
  #shown = false;

  constructor(private readonly sink: Sink, log?: Logger) {
    log?.beforeLine(() => this.clear());
  }

  show(text: string): void {
    this.#shown = true;
    const columns = this.sink.columns();
    const chars = Array.from(text);
    const fitted = columns !== undefined && chars.length >= columns
      ? chars.slice(0, Math.max(0, columns - 1)).join("")
      : text;
    this.sink.write(`\r\x1b[2K${fitted}`).catch(() => {});
  }

  clear(): void {
    if (!this.#shown) return;
    this.#shown = false;
    this.sink.write("\r\x1b[2K").catch(() => {});
  }
}

export interface ProgressDeps {
  stderr: Sink;
  log: Logger;
  clock: Clock;
  /** stderr is a terminal (or FORCE_COLOR): draw the live line instead of periodic logs. */
  tty: boolean;
}

/** Seconds between `[INFO] … downloaded` lines off a terminal. */
export const LOG_INTERVAL_MS = 5000;
const REDRAW_INTERVAL_MS = 100;
const BAR_WIDTH = 24;

/**
 * Tracks one transfer. `total` is the size in bytes when known; it must not come from a
 * Content-Length of a gzip-encoded body (that counts compressed bytes, the stream yields
 * inflated ones).
 */
export class TransferProgress {
  bytes = 0;
  readonly #started: number;
  #lastDraw = -Infinity;
  #lastLog: number;
  readonly #line: StatusLine;

  constructor(private readonly deps: ProgressDeps, public total?: number) {
    this.#started = deps.clock.monotonic();
    this.#lastLog = this.#started;
    this.#line = new StatusLine(deps.stderr, deps.log);
  }

  /** Bytes per second so far. */
  speed(now = this.deps.clock.monotonic()): number {
    const seconds = (now - this.#started) / 1000;
    return seconds > 0 ? this.bytes / seconds : 0;
  }

  add(count: number): void {
    this.update(this.bytes + count);
  }

  /** The transfer has reached `bytes` in all. */
  update(bytes: number): void {
    this.bytes = bytes;
    const now = this.deps.clock.monotonic();
    if (this.deps.tty) {
      if (now - this.#lastDraw >= REDRAW_INTERVAL_MS) {
        this.#lastDraw = now;
        this.#line.show(this.line(now));
      }
    } else if (now - this.#lastLog >= LOG_INTERVAL_MS) {
      this.#lastLog = now;
      this.deps.log.info(this.logLine(now));
    }
  }

  #known(): number | undefined {
    return this.total !== undefined && this.total > 0 && this.bytes <= this.total
      ? this.total
      : undefined;
  }

  /** `<size> downloaded | <pct>% | ETA <dur> | <speed>/s` (pct and ETA only with a size). */
  logLine(now = this.deps.clock.monotonic()): string {
    const speed = this.speed(now);
    const parts = [`${formatSize(this.bytes)} downloaded`];
    const total = this.#known();
    if (total !== undefined) {
      parts.push(`${Math.floor((this.bytes / total) * 100)}%`);
      if (speed > 0) parts.push(`ETA ${formatEta((total - this.bytes) / speed)}`);
    }
    parts.push(`${formatSize(speed)}/s`);
    return parts.join(" | ");
  }

  /** The terminal line: `12.0 MiB / 50.0 MiB [######----]  24%  3.1 MiB/s  ETA 12s`. */
  line(now = this.deps.clock.monotonic()): string {
    const speed = this.speed(now);
    const total = this.#known();
    if (total === undefined) return `${formatSize(this.bytes)}  ${formatSize(speed)}/s`;
    const fraction = this.bytes / total;
    const filled = Math.round(fraction * BAR_WIDTH);
    const bar = `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}]`;
    const eta = speed > 0 ? `  ETA ${formatEta((total - this.bytes) / speed)}` : "";
    return `${formatSize(this.bytes)} / ${formatSize(total)} ${bar} ${
      String(Math.floor(fraction * 100)).padStart(3)
    }%  ${formatSize(speed)}/s${eta}`;
  }

  /** Clears the live line (before an error or other output). */
  clear(): void {
    this.#line.clear();
  }

  /** Clears the live line and logs `Written <size> to <dest> (<speed>/s)`. */
  finish(dest: string): void {
    this.#line.clear();
    this.deps.log.info(
      `Written ${formatSize(this.bytes)} to ${dest} (${formatSize(this.speed())}/s)`,
    );
  }
}

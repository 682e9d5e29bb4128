// ANSI styling that honours NO_COLOR and FORCE_COLOR.

import type { Env } from "./env.ts";

/**
 * How a stream should be treated: `tty` drives TTY-only behaviour (table fitting, progress),
 * `color` whether ANSI colours are written.
 * - FORCE_COLOR set to anything but "" / "0" / "false": treated as a TTY with colours.
 * - NO_COLOR set and non-empty: never colours (wins over FORCE_COLOR for colours).
 */
export function streamMode(isTerminal: boolean, env: Env): { tty: boolean; color: boolean } {
  const force = env.get("FORCE_COLOR");
  const forced = force !== undefined && force !== "" && force !== "0" && force !== "false";
  const forcedOff = force === "0" || force === "false";
  const tty = isTerminal || forced;
  const noColor = (env.get("NO_COLOR") ?? "") !== "";
  return { tty, color: tty && !noColor && !forcedOff };
}

const CODES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
  gray: [90, 39],
} as const;

export type StyleName = keyof typeof CODES;

/** Applies styles when enabled; identity otherwise. */
export class Styler {
  constructor(readonly enabled: boolean) {}

  apply(text: string, ...styles: StyleName[]): string {
    if (!this.enabled || styles.length === 0) return text;
    let out = text;
    for (const style of styles) {
      const [open, close] = CODES[style];
      out = `\x1b[${open}m${out}\x1b[${close}m`;
    }
    return out;
  }
}

// deno-lint-ignore no-control-regex
const ANSI_PATTERN = /\x1b\[[0-9;]*m/g;

/** Removes SGR colour sequences (for width computations). */
export function stripAnsi(text: string): string {
  return text.replace(ANSI_PATTERN, "");
}

// Escape sanitising for captured (not live-streamed) output printed by the default formatter
// (CLI spec §7.2): cursor movement, screen clearing, resets and OSC titles are removed so a
// replayed capture cannot wreck the terminal; colours (SGR, `…m`) are kept.

// deno-lint-ignore no-control-regex
const CURSOR_AND_SCREEN = /\x1b\[\??[0-9;]*[ABCDEFGHJKSTfhlrsu]/g;
// deno-lint-ignore no-control-regex
const RESETS = /\x1b[c78]/g;
// deno-lint-ignore no-control-regex
const OSC = /\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;

export function sanitiseTerminalText(text: string): string {
  const cleaned = text.replace(OSC, "").replace(CURSOR_AND_SCREEN, "").replace(RESETS, "");
  return cleaned === "" || cleaned.endsWith("\n") ? cleaned : `${cleaned}\n`;
}

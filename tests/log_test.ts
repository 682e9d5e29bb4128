import { MemorySink } from "../src/io.ts";
import { Logger, visibleText } from "../src/log.ts";
import { assertEquals } from "./support/assert.ts";

Deno.test("log lines show control characters as \\xNN: a quoted name cannot drive the terminal", () => {
  const sink = new MemorySink();
  const log = new Logger(sink, "info", true);
  log.error("cat: /\x1b]0;pwned\x07\x1b[31mred\r\x9b2J: no such file");
  // The level's own colour stays; the message's escapes are shown, not obeyed.
  assertEquals(
    sink.text(),
    "\x1b[31m[ERROR]\x1b[39m cat: /\\x1b]0;pwned\\x07\\x1b[31mred\\x0d\\x9b2J: no such file\n",
  );
  // Line breaks, tabs and other text are kept.
  assertEquals(visibleText("a\tb\nc é ✓ \u00a0"), "a\tb\nc é ✓ \u00a0");
  // A bidi override or isolate would reorder the rest of the line: shown, not obeyed.
  assertEquals(
    visibleText("evil\u202egnp.exe \u2066x\u2069"),
    "evil\\u202egnp.exe \\u2066x\\u2069",
  );
});

// Words of a shell line (shlex rules), continuation, the timeout builtin's duration, repr.

import {
  isOpen,
  joinContinued,
  lineWords,
  parseDuration,
  pythonRepr,
  scanWords,
  timeoutPrefix,
} from "../../src/shell/words.ts";
import { assertEquals, assertThrows } from "../support/assert.ts";

Deno.test("shell words: quotes and backslashes as shlex.split reads them", () => {
  assertEquals(lineWords(`ls -la  'a b' "c \\"d\\"" e\\ f`), ["ls", "-la", "a b", 'c "d"', "e f"]);
  assertEquals(lineWords(`echo "\\$HOME" '\\n'`), ["echo", "\\$HOME", "\\n"]);
  assertEquals(lineWords(`a"b"'c'`), ["abc"]);
  assertEquals(lineWords("   "), []);
  assertThrows(() => lineWords("echo 'open"), SyntaxError, "No closing quotation");
  assertThrows(() => lineWords("echo \\"), SyntaxError, "No escaped character");
});

Deno.test("shell words: an open quote or a trailing backslash continues the line", () => {
  assertEquals([isOpen("echo 'a"), isOpen('echo "a'), isOpen("ls \\"), isOpen("ls")], [
    true,
    true,
    true,
    false,
  ]);
  assertEquals(joinContinued(["ls \\", "-alh \\", "/sys"]), "ls -alh /sys");
  // A newline inside quotes stays.
  assertEquals(joinContinued(["echo 'a", "b'"]), "echo 'a\nb'");
  assertEquals(isOpen(joinContinued(["echo 'a", "b'"])), false);
});

Deno.test("shell words: the word being typed, for completion", () => {
  assertEquals(scanWords("contree ses").partial, { value: "ses", raw: "ses" });
  assertEquals(scanWords("contree ses").words, ["contree"]);
  assertEquals(scanWords("contree ").partial, undefined);
  assertEquals(scanWords("cat 'a b").open, "'");
  assertEquals(scanWords("cat a\\ b").partial, { value: "a b", raw: "a\\ b" });
});

Deno.test("shell timeout: N, Ns, Nm, Nh, Nd, decimals; anything else runs verbatim", () => {
  assertEquals(
    ["30", "30s", "1.5m", "2h", "1d", "0", "0.1", "5x", "-5", "1e3"].map(parseDuration),
    [30, 30, 90, 7200, 86400, undefined, undefined, undefined, undefined, undefined],
  );
  assertEquals(timeoutPrefix("timeout 5m  make   build"), { seconds: 300, rest: "make   build" });
  assertEquals(timeoutPrefix("timeout --kill-after=5 30 cmd"), undefined);
  assertEquals(timeoutPrefix("timeout 30"), undefined);
});

Deno.test("shell repr: Python's quoting of a pattern", () => {
  assertEquals(pythonRepr("apt"), "'apt'");
  assertEquals(pythonRepr("it's"), `"it's"`);
  assertEquals(pythonRepr(`a'b"c`), `'a\\'b"c'`);
});

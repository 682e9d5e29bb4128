// Pure pieces of the session area: key derivation, UUIDs, time filters, cache encoding, shell
// words, operation waiting and exit statuses.

import { formatApiTime, parseTimeFilter, timeRange } from "../../src/time_filter.ts";
import type { Operation } from "../../src/api/models.ts";
import {
  decodeCacheValue,
  encodeCacheValue,
  JAVASCRIPT_GZIP_LIMIT,
  loadCacheCodec,
} from "../../src/session/cache.ts";
import { base64ToBytes, bytesToBase64 } from "../../src/api/stream_repr.ts";
import { gzipSync } from "node:zlib";
import { deriveSessionKey, newSessionKey, sessionKeyFrom } from "../../src/session/key.ts";
import { resolveSandboxPath } from "../../src/sandbox_path.ts";
import { storeTimeToIso } from "../../src/session/timestamps.ts";
import { dbTimeoutMs } from "../../src/session/store.ts";
import { POLL_DELAYS_MS, pollOperation } from "../../src/session/wait.ts";
import { shellQuote, splitShellWords } from "../../src/shell_words.ts";
import { exportLine } from "../../src/session/use_cmd.ts";
import { NAMESPACE_OID, NAMESPACE_URL, parseUuid, uuidv5 } from "../../src/uuid.ts";
import { UsageError } from "../../src/errors.ts";
import { assert, assertEquals, assertMatch, assertThrows } from "../support/assert.ts";
import { FakeClock } from "../support/context.ts";
import { FakeApi } from "../support/fake_api.ts";
import { ContreeClient } from "../../src/api/client.ts";
import { MemorySink } from "../../src/io.ts";
import { Logger } from "../../src/log.ts";

Deno.test("uuid: v5 matches Python's uuid.uuid5; parsing accepts Python's forms", async () => {
  // Values computed with Python 3: uuid.uuid5(uuid.NAMESPACE_OID, …) / NAMESPACE_URL.
  assertEquals(
    await uuidv5(NAMESPACE_OID, "default_4241_notty"),
    "fcf99840-5f72-523f-9d9d-87ccd79c5824",
  );
  assertEquals(
    await uuidv5(NAMESPACE_OID, "prof_77__dev_pts_3"),
    "e8fdbac0-f156-58a6-b93f-440289957687",
  );
  assertEquals(
    await uuidv5(NAMESPACE_URL, "/tmp/a.txt:12:1700000000123000000:5"),
    "ac026b76-5e76-511c-9046-87fa608d82c0",
  );
  const canonical = "12345678-9abc-baba-deda-0123456789ab";
  for (
    const form of [
      canonical,
      canonical.toUpperCase(),
      canonical.replaceAll("-", ""),
      `{${canonical}}`,
      `urn:uuid:${canonical}`,
    ]
  ) {
    assertEquals(parseUuid(form), canonical, form);
  }
  for (const bad of ["", "1234", `${canonical}0`, "g2345678-9abc-baba-deda-0123456789ab"]) {
    assertEquals(parseUuid(bad), undefined, bad);
  }
});

Deno.test("session key: -S > CONTREE_SESSION > [cli] session_key > derived", async () => {
  const process = { ppid: 4241, ttyName: () => undefined };
  const base = { profile: "default", cwd: "/home/me/project", process };
  assertEquals(await sessionKeyFrom({ ...base, flag: "f", env: "e", config: "c" }), "f");
  assertEquals(await sessionKeyFrom({ ...base, flag: "", env: "e", config: "c" }), "e");
  assertEquals(await sessionKeyFrom({ ...base, env: "", config: "c" }), "c");
  assertEquals(await sessionKeyFrom(base), "project+fcf99840");
  assertEquals(await deriveSessionKey("default", "/", process), "session+fcf99840");
  assertEquals(
    await deriveSessionKey("prof", "/srv/app/", { ppid: 77, ttyName: () => "/dev/pts/3" }),
    "app+e8fdbac0",
  );
  assertMatch(
    newSessionKey(),
    /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  );
  assert(newSessionKey() !== newSessionKey());
});

const NOW = Date.parse("2026-06-08T20:00:00Z");

Deno.test("time filter: dates, times of day, intervals", () => {
  const iso = (value: string) => parseTimeFilter(value, NOW).toISOString();
  assertEquals(iso("2026"), "2026-01-01T00:00:00.000Z");
  assertEquals(iso("2026-03"), "2026-03-01T00:00:00.000Z");
  assertEquals(iso("2026/03/04"), "2026-03-04T00:00:00.000Z");
  assertEquals(iso("2026.3.4 5"), "2026-03-04T05:00:00.000Z");
  assertEquals(iso("2026-03-04T05:06"), "2026-03-04T05:06:00.000Z");
  assertEquals(iso("2026-03-04 05:06:07Z"), "2026-03-04T05:06:07.000Z");
  assertEquals(iso("2026-02-16T21:25:30.265927+00:00"), "2026-02-16T21:25:30.266Z");
  assertEquals(iso("2026-03-04T05:06:07+02:00"), "2026-03-04T03:06:07.000Z");
  assertEquals(iso("3600"), "3600-01-01T00:00:00.000Z", "a bare 4-digit number is a year");
  assertEquals(iso("12:30"), "2026-06-08T12:30:00.000Z");
  assertEquals(iso("07:08:09"), "2026-06-08T07:08:09.000Z");
  assertEquals(iso("90"), "2026-06-08T19:58:30.000Z");
  assertEquals(iso("86400"), "2026-06-07T20:00:00.000Z", "longer bare numbers are seconds");
  assertEquals(iso("1h30m"), "2026-06-08T18:30:00.000Z");
  assertEquals(iso("-2d"), "2026-06-06T20:00:00.000Z", "the sign is ignored");
  assertEquals(iso("+1M"), "2026-05-09T20:00:00.000Z");
  assertEquals(iso("1y 1s"), "2025-06-08T19:59:59.000Z");
  assertEquals(iso("10s"), "2026-06-08T19:59:50.000Z");
  for (
    const bad of [
      "5x",
      "1hr",
      "",
      "yesterday",
      "2026-13",
      "2026-02-30",
      "25:00",
      "2026-01-01T24",
      "99999999999999s", // further back than a Date holds (was an unexpected RangeError)
    ]
  ) {
    assertThrows(() => parseTimeFilter(bad, NOW, "--until"), UsageError, "invalid --until value");
  }
  assertEquals(formatApiTime(new Date("2026-06-08T20:00:00Z")), "2026-06-08T20:00:00Z");
  assertEquals(formatApiTime(new Date("2026-06-08T20:00:00.25Z")), "2026-06-08T20:00:00.250000Z");
  assertEquals(timeRange({}, NOW), { since: undefined, until: undefined });
  assertEquals(timeRange({ since: "1h" }, NOW).since?.toISOString(), "2026-06-08T19:00:00.000Z");
});

Deno.test("cache encoding: json: up to 1024 characters, gzip: beyond, legacy plain", () => {
  const small = { a: "x".repeat(1000) };
  assert(encodeCacheValue(small).startsWith("json:"));
  const exactly = { a: "x".repeat(1024 - 8) }; // {"a":"…"} is 8 characters of frame
  assertEquals(encodeCacheValue(exactly).length, 5 + 1024);
  assert(encodeCacheValue({ a: "x".repeat(1024 - 7) }).startsWith("gzip:"));
  for (const value of [small, exactly, { a: "é".repeat(5000) }, [1, null, "s"], "text", 3]) {
    assertEquals(decodeCacheValue(encodeCacheValue(value)), value);
  }
  assertEquals(decodeCacheValue('{"legacy": true}'), { legacy: true });
});

Deno.test("cache encoding: gzip in JavaScript up to its limit once loaded, node:zlib past it", async () => {
  await loadCacheCodec();
  // node:zlib leaves gzip's MTIME field 0; fflate writes the time: which codec made a value.
  const mtime = (encoded: string) =>
    new DataView(base64ToBytes(encoded.slice(5)).buffer).getUint32(4, true);
  const small = { files: Array.from({ length: 2000 }, (_, i) => ({ path: `é-${i}`, size: i })) };
  const large = { a: "x".repeat(JAVASCRIPT_GZIP_LIMIT) };
  const smallEncoded = encodeCacheValue(small);
  const largeEncoded = encodeCacheValue(large);
  assert(mtime(smallEncoded) > 0, "a small value: fflate");
  assertEquals(mtime(largeEncoded), 0, "a large one: node:zlib");
  assertEquals(decodeCacheValue(smallEncoded), small);
  assertEquals(decodeCacheValue(largeEncoded), large);
  // What node:zlib (and the reference CLI) stored reads back through fflate, and a cut one fails.
  const json = new TextEncoder().encode(JSON.stringify(small));
  const byZlib = `gzip:${bytesToBase64(gzipSync(json))}`;
  assertEquals(decodeCacheValue(byZlib), small);
  assertThrows(() => decodeCacheValue(byZlib.slice(0, 400)));
});

Deno.test("cache: cacheWrite loads the JavaScript gzip itself for a value that needs gzip", async () => {
  // Its own process: the codec, once loaded, is loaded for the whole process.
  const dir = await Deno.makeTempDir({ prefix: "contree-cache-codec-" });
  try {
    const script = `
      import { SessionStore } from ${
      JSON.stringify(new URL("../../src/session/store.ts", import.meta.url).href)
    };
      const store = SessionStore.open(${JSON.stringify(`${dir}/s.db`)});
      await store.cacheWrite("i", "small", { a: 1 });
      await store.cacheWrite("i", "large", { a: "é".repeat(3000) });
      const row = new (await import("node:sqlite")).DatabaseSync(${JSON.stringify(`${dir}/s.db`)})
        .prepare("SELECT kind, value FROM image_cache ORDER BY kind").all();
      const mtime = (v) => new DataView(Uint8Array.from(atob(v.slice(5)), (c) => c.charCodeAt(0)).buffer).getUint32(4, true);
      console.log(JSON.stringify({
        kinds: row.map((r) => [r.kind, r.value.slice(0, 5)]),
        fflate: mtime(row[0].value) > 0,
        back: (await store.cacheRead("i", "large")).a.length,
      }));
      store.close();
    `;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--quiet", script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(new TextDecoder().decode(out.stderr), "");
    assertEquals(JSON.parse(new TextDecoder().decode(out.stdout)), {
      kinds: [["large", "gzip:"], ["small", "json:"]],
      fflate: true,
      back: 3000,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("shell words: quotes and escapes; quoting only when needed", () => {
  assertEquals(splitShellWords("code --wait"), ["code", "--wait"]);
  assertEquals(splitShellWords(`sh -c 'printf x >> "$0"' `), ["sh", "-c", `printf x >> "$0"`]);
  assertEquals(splitShellWords(`a\\ b "c \\"d\\" $e" ''`), ["a b", `c "d" $e`, ""]);
  assertThrows(() => splitShellWords("vim 'unterminated"), UsageError, "Unterminated quote");
  assertEquals(shellQuote("proj+1a2b3c4d"), "proj+1a2b3c4d");
  assertEquals(shellQuote("my dir+1a2b"), "'my dir+1a2b'");
  assertEquals(shellQuote("it's"), `'it'"'"'s'`, "one quoting rule: Python's shlex.quote");
});

// A session key from a directory name a hostile repository chose: POSIX quoting let fish run it.
const HOSTILE_KEY = `a\\'"; touch PWNED #+d8f2e59d`;

Deno.test("use: the fish line quotes a key with a backslash and a quote for fish", async () => {
  const line = exportLine(HOSTILE_KEY, true);
  assertEquals(line, `set -gx CONTREE_SESSION 'a\\\\\\'"; touch PWNED #+d8f2e59d'`);
  // A missing program fails the spawn at once (a throw, not a rejected promise).
  const fish = await (async () =>
    await new Deno.Command("fish", {
      args: ["-c", `${line}; printf %s "$CONTREE_SESSION"`],
      stdout: "piped",
      stderr: "piped",
    }).output())().catch(() => undefined);
  if (!fish) return console.log("SKIP: fish is not installed; the line is checked as text only");
  assertEquals(
    new TextDecoder().decode(fish.stdout),
    HOSTILE_KEY,
    new TextDecoder().decode(fish.stderr),
  );
});

Deno.test("paths: sandbox path resolution and stored timestamps", () => {
  assertEquals(resolveSandboxPath("", ""), "/");
  assertEquals(resolveSandboxPath("/a/b", ".."), "/a");
  assertEquals(resolveSandboxPath("/a", "./c//d/"), "/a/c/d");
  assertEquals(resolveSandboxPath("/a", "/x/../../y"), "/y");
  assertEquals(storeTimeToIso("2026-06-08T20:00:00"), "2026-06-08T20:00:00+00:00");
  assertEquals(storeTimeToIso("2026-06-08 20:00:00.5"), "2026-06-08T20:00:00.5+00:00");
  assertEquals(storeTimeToIso("2026-06-08T20:00:00Z"), "2026-06-08T20:00:00Z");
  assertEquals(dbTimeoutMs(undefined), 30_000);
  assertEquals(dbTimeoutMs("2.5"), 2500);
  assertEquals(dbTimeoutMs("soon"), 30_000);
});

function op(status: string, extra: Partial<Operation> = {}): Operation {
  return { uuid: "u", status, ...extra };
}

Deno.test("wait: polling backs off 0.5 → 5 s on the injected clock through faults, no timeout", async () => {
  const clock = new FakeClock();
  const answers = [
    "PENDING",
    "EXECUTING",
    "EXECUTING",
    "EXECUTING",
    "EXECUTING",
    "EXECUTING",
    "EXECUTING",
    "SUCCESS",
  ];
  const fake = FakeApi.start();
  let calls = 0;
  fake.on("GET", "/v1/operations/x", () => ({ json: op(answers[calls++], { uuid: "x" }) }));
  // A 503 and a dropped connection are polled again, not failures of the wait.
  fake.script("GET", "/v1/operations/x", { status: 503, json: { error: "busy", status: 503 } }, {
    json: op("EXECUTING"),
    dropBody: true,
  });
  const log = new MemorySink();
  const client = new ContreeClient({ url: fake.url, token: fake.token, type: "jwt" }, {
    fetch,
    clock,
    log: new Logger(log, "info"),
    userAgent: "test",
  });
  try {
    const done = await pollOperation(client, "x");
    assertEquals(done.status, "SUCCESS");
    assertEquals(calls, answers.length);
    assertEquals(clock.sleeps, [500, 1000, 2000, 4000, 5000, 5000, 5000, 5000, 5000]);
    assertEquals(POLL_DELAYS_MS.at(-1), 5000);
    assertEquals(log.text(), "", "recovered faults are silent");
  } finally {
    await fake.close();
  }
});

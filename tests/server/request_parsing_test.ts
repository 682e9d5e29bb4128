// Pure pieces of the server: query parsing, spawn defaults, the environment of runs, registry
// hosts and path handling.

import { HttpError } from "../../src/server/errors.ts";
import { acceptsGzip } from "../../src/server/http.ts";
import { environmentArgs } from "../../src/server/executor.ts";
import { DEFAULT_SANDBOX_PATH } from "../../src/sandbox_path.ts";
import { parseImportRequest, registryHost, validReference } from "../../src/server/importer.ts";
import { requestComponents } from "../../src/server/inspect.ts";
import { oneLine } from "../../src/server/grep.ts";
import { parseInstant, parsePage } from "../../src/server/params.ts";
import { commandLine, parseMode, parseSpawnRequest } from "../../src/server/spawn.ts";
import { assertEquals, assertMatch, assertThrows } from "../support/assert.ts";

const NOW = Date.parse("2026-06-08T20:00:00Z");

Deno.test("params: paging bounds and time filters", () => {
  assertEquals(parsePage(new URLSearchParams()), { limit: 100, offset: 0 });
  assertEquals(parsePage(new URLSearchParams("limit=1000&offset=5")), { limit: 1000, offset: 5 });
  for (const bad of ["limit=0", "limit=1001", "limit=", "offset=x"]) {
    assertThrows(() => parsePage(new URLSearchParams(bad)), HttpError);
  }
  assertEquals(
    parseInstant("since", "2026-06-08T20:00:00.123456789Z", NOW),
    "2026-06-08T20:00:00.123Z",
  );
  assertEquals(parseInstant("since", "2026-06-08T22:00:00+02:00", NOW), "2026-06-08T20:00:00.000Z");
  assertEquals(parseInstant("since", "2026-06-08", NOW), "2026-06-08T00:00:00.000Z");
  assertEquals(parseInstant("since", "1h30m", NOW), "2026-06-08T18:30:00.000Z");
  assertEquals(parseInstant("since", "1w", NOW), "2026-06-01T20:00:00.000Z");
  assertEquals(parseInstant("since", "90", NOW), "2026-06-08T19:58:30.000Z");
  for (const bad of ["soon", "5x", "2026-13-45"]) {
    assertThrows(() => parseInstant("since", bad, NOW), HttpError, "invalid since");
  }
});

Deno.test("spawn: defaults are filled in and modes become 4-digit octal strings", () => {
  const spec = parseSpawnRequest({ command: "ls", image: "tag:base" }, {
    resolveImage: () => "11111111-2222-3333-4444-555555555555",
    fileExists: () => true,
    maxTimeout: 3600,
  });
  assertEquals(spec.image, "11111111-2222-3333-4444-555555555555");
  assertEquals(
    [spec.cwd, spec.uid, spec.gid, spec.timeout, spec.truncate_output_at, spec.disposable],
    ["/root", 0, 0, 60, 1048576, false],
  );
  assertEquals(spec.networking, { enabled: false });
  assertEquals([parseMode("644"), parseMode(0o755), parseMode("0600")], ["0644", "0755", "0600"]);
  assertThrows(() => parseMode("0999"), HttpError);
});

Deno.test("spawn: every spelling of a mode clients send is accepted; non-modes are refused", () => {
  const spellings: [unknown, string][] = [
    ["0644", "0644"],
    ["644", "0644"],
    ["0o644", "0644"],
    ["0O755", "0755"],
    ["0o100644", "0644"], // Python's oct(st_mode) of a regular file: the type bits are ignored
    ["100755", "0755"],
    ["04755", "4755"],
    [420, "0644"],
    [33188, "0644"], // st_mode as an integer
    [0, "0000"],
  ];
  for (const [mode, expected] of spellings) assertEquals(parseMode(mode), expected, String(mode));
  for (const bad of ["0999", "rw-r--r--", "", "0x1a4", "-644", "0o", 1.5, -1, 0o1000000, true]) {
    assertThrows(() => parseMode(bad), HttpError, "file mode must be");
  }
});

Deno.test("spawn: a shell expression gets its args appended, shell-quoted (run -I)", () => {
  assertEquals(commandLine({ shell: false, command: "/bin/echo", args: ["a b"] }), [
    "/bin/echo",
    "a b",
  ]);
  assertEquals(commandLine({ shell: true, command: "echo hi", args: [] }), [
    "/bin/sh",
    "-c",
    "echo hi",
  ]);
  // What the reference CLI sends for `run -I script.sh x 'y z'`.
  assertEquals(commandLine({ shell: true, command: "/bin/sh", args: ["-s", "--", "x", "y z"] }), [
    "/bin/sh",
    "-c",
    "/bin/sh -s -- x 'y z'",
  ]);
});

Deno.test("environment: earlier runs' variables are unset, the preserved env is passed", () => {
  const image = {
    env: { KEPT: "1" },
    config_env: ["LEAK=x", "KEPT=1", "PATH=/custom", "TERM=xterm", "HOSTNAME=h"],
  };
  const { args, effective } = environmentArgs(image, { NEW: "2" });
  assertEquals(effective, { KEPT: "1", NEW: "2" });
  assertEquals(args, [
    "--env",
    "KEPT=1",
    "--env",
    "NEW=2",
    "--unsetenv",
    "LEAK",
    "--env",
    `PATH=${DEFAULT_SANDBOX_PATH}`,
  ]);
  assertEquals(
    environmentArgs({ env: {}, config_env: [`PATH=${DEFAULT_SANDBOX_PATH}`] }, null).args,
    [],
  );
});

Deno.test("import: registry hosts, masked credentials, URL forms", () => {
  assertEquals(registryHost("docker.io/library/busybox:latest"), "docker.io");
  assertEquals(registryHost("ghcr.io/o/i:t"), "ghcr.io");
  assertEquals(registryHost("localhost:5000/x"), "localhost:5000");
  assertEquals(registryHost("busybox"), "docker.io");
  const { spec, metadata } = parseImportRequest({
    registry: { url: "docker://ghcr.io/o/i:t", credentials: { username: "u", password: "p" } },
    tag: "i:t",
  });
  assertEquals(spec.registry.credentials, { username: "u", password: "p" });
  assertEquals(metadata.registry.credentials, { username: "u", password: "<MASKED>" });
  assertEquals(metadata.timeout, 300);
  parseImportRequest({ registry: { url: "file:///srv/rootfs.tar.gz" } });
  for (const url of ["https://x/y.tar", "file://host/x.tar", "docker://"]) {
    assertThrows(() => parseImportRequest({ registry: { url } }), HttpError);
  }
});

Deno.test("import: only references podman can parse are accepted", () => {
  for (
    const reference of [
      "busybox",
      "busybox:latest",
      "docker.io/library/busybox:latest",
      "localhost:5000/team/app:v1.2-rc_3",
      "ghcr.io/o/i@sha256:" + "a".repeat(64),
      "quay.io/a/b:t@sha256:" + "0".repeat(64),
      "registry.example.com:443/a__b/c-d.e",
    ]
  ) {
    assertEquals(validReference(reference), true, reference);
  }
  for (
    const reference of [
      "file:///abs/rootfs.tar:latest", // what the reference CLI makes of a file path
      "/abs/rootfs.tar",
      "Busybox:latest",
      "docker.io/library/busybox:",
      "busybox:-bad",
      "a//b",
      "busybox@sha256:short",
      "-x",
      "",
    ]
  ) {
    assertEquals(validReference(reference), false, reference);
  }
  const error = assertThrows(
    () => parseImportRequest({ registry: { url: "docker://file:///abs/rootfs.tar:latest" } }),
    HttpError,
  );
  assertEquals((error as HttpError).status, 400);
  assertMatch(error.message, /docker:\/\/\[registry\/\]name\[:tag\]/);
  assertMatch(error.message, /file:\/\/\/abs\/path\/rootfs\.tar/);
});

Deno.test("inspect: request paths may not climb above the root", () => {
  assertEquals(requestComponents("/etc/./a/../passwd"), ["etc", "passwd"]);
  assertEquals(requestComponents(""), []);
  assertThrows(() => requestComponents("/etc/../../x"), HttpError, "escapes the image root");
});

Deno.test("Accept-Encoding: gzip when listed or *, unless its q is 0", () => {
  const accepts = (value?: string) =>
    acceptsGzip(
      new Request("http://x/", {
        headers: value === undefined ? {} : { "Accept-Encoding": value },
      }),
    );
  const cases: [string | undefined, boolean][] = [
    [undefined, false],
    ["gzip", true],
    ["GZIP, deflate", true],
    ["deflate, br", false],
    ["gzip;q=0", false],
    ["gzip; q=0.0, *", false],
    ["gzip;q=0.5", true],
    ["*", true],
    ["*;q=0", false],
    ["identity", false],
    ["x-gzip", true],
  ];
  for (const [value, expected] of cases) assertEquals(accepts(value), expected, String(value));
});

Deno.test("grep: ripgrep's multi-line message becomes one line", () => {
  // Was four lines in a tool error or an API error, documented as one.
  assertEquals(
    oneLine("regex parse error:\n    (\n    ^\nerror: unclosed group\n"),
    "regex parse error: unclosed group (in `(`)",
  );
  assertEquals(
    oneLine("Compiled regex exceeds size limit of 104857600 bytes.\n"),
    "Compiled regex exceeds size limit of 104857600 bytes.",
  );
  assertEquals(oneLine("one\n two\n"), "one; two");
});

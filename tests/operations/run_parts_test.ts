import {
  expandFileSpecs,
  fnmatch,
  isExcluded,
  parseFileSpec,
} from "../../src/operations/file_spec.ts";
import {
  buildSpawnRequest,
  parseEnvPairs,
  type RunPayloadInput,
} from "../../src/operations/payload.ts";
import { shellQuote } from "../../src/shell_words.ts";
import { base64ToBytes } from "../../src/api/stream_repr.ts";
import { MemorySink } from "../../src/io.ts";
import { Logger } from "../../src/log.ts";
import { assertEquals, assertRejects, assertThrows } from "../support/assert.ts";

const base: RunPayloadInput = {
  image: "img",
  command: ["echo", "hi there"],
  shell: false,
  timeout: 120,
  hostname: "linuxkit",
  truncateAt: 65536,
  disposable: false,
  preserveEnv: false,
  env: {},
  files: {},
};

Deno.test("payload: exec form, shell form quoting, interpreter, env and stdin rules", () => {
  assertEquals(buildSpawnRequest(base), {
    command: "echo",
    image: "img",
    shell: false,
    args: ["hi there"],
    disposable: false,
    hostname: "linuxkit",
    truncate_output_at: 65536,
    timeout: 120,
  });
  assertEquals(buildSpawnRequest({ ...base, command: ["true"] }).args, undefined);
  assertEquals(buildSpawnRequest({ ...base, command: [] }).command, "");
  assertEquals(
    buildSpawnRequest({ ...base, shell: true, command: ["echo $A | wc"] }).command,
    "echo $A | wc",
  );
  assertEquals(
    buildSpawnRequest({ ...base, shell: true, command: ["echo $A", "b c", "plain"] }).command,
    `'echo $A' 'b c' plain`,
  );
  const env = buildSpawnRequest({ ...base, env: { A: "1" }, cwd: "/work", preserveEnv: true });
  assertEquals([env.env, env.cwd, env.preserve_env], [{ A: "1" }, "/work", true]);
  assertEquals(
    buildSpawnRequest({ ...base, env: { A: "1" }, preservedEnv: { A: "1" } }).env,
    undefined,
  );
  assertEquals(buildSpawnRequest({ ...base, stdin: new TextEncoder().encode("hi\n") }).stdin, {
    value: "aGkK",
    encoding: "base64",
  });
  assertEquals(buildSpawnRequest({ ...base, stdin: new Uint8Array() }).stdin, undefined);
  const interp = buildSpawnRequest({
    ...base,
    command: ["./script.sh", "x", "y"],
    interpreter: { script: new TextEncoder().encode("#!/bin/sh\r\necho $1\r\n") },
  });
  assertEquals([interp.command, interp.shell, interp.args], ["/bin/sh", false, [
    "-s",
    "--",
    "x",
    "y",
  ]]);
  // The body byte for byte (as the reference sends it), non-UTF-8 bytes included.
  assertEquals(atob(interp.stdin!.value), "echo $1\r\n");
  const binary = buildSpawnRequest({
    ...base,
    command: ["./sfx.sh"],
    interpreter: { script: new Uint8Array([0x23, 0x21, 0x0a, 0x65, 0xff, 0xfe, 0x0a]) },
  });
  assertEquals([...base64ToBytes(binary.stdin!.value)], [0x65, 0xff, 0xfe, 0x0a]);
});

Deno.test("shell quoting and env pairs", () => {
  assertEquals(["", "abc", "a b", "it's", "x=1,y/z"].map(shellQuote), [
    "''",
    "abc",
    "'a b'",
    `'it'"'"'s'`,
    "x=1,y/z",
  ]);
  assertEquals(parseEnvPairs(["A=1", "B=", "C=x=y"]), { A: "1", B: "", C: "x=y" });
  // A bare name is an empty value, as the reference's partition makes it; a pair without one is not.
  assertEquals(parseEnvPairs(["FLAG"]), { FLAG: "" });
  assertThrows(() => parseEnvPairs(["=x"]), Error, "Invalid format '=x', expected KEY=VALUE");
});

Deno.test("file specs: grammar, tags in any order, errors", () => {
  assertEquals(parseFileSpec("a.txt:/x/y:u1000:g0:m0600"), {
    host: "a.txt",
    instancePath: "/x/y",
    owner: "1000",
    group: "0",
    mode: "0600",
  });
  assertEquals(parseFileSpec("m755:/b"), { host: "m755", instancePath: "/b" });
  assertEquals(parseFileSpec("C:\\data\\f.txt:/f", true), {
    host: "C:\\data\\f.txt",
    instancePath: "/f",
  });
  assertThrows(() => parseFileSpec(":/x"), Error, "host_path is required");
  assertThrows(() => parseFileSpec("a:/x:/y"), Error, "duplicate instance path");
  assertThrows(
    () => parseFileSpec("a:zz"),
    Error,
    "unknown field 'zz' (expected /path, u<uid>, g<gid>, or m<mode>)",
  );
});

Deno.test("file specs: fnmatch and the default excludes", () => {
  assertEquals(fnmatch("a/b.pyc", "*.pyc"), true);
  assertEquals(fnmatch("x.py", "*.pyc"), false);
  assertEquals(fnmatch("f1", "f[0-9]"), true);
  assertEquals(fnmatch("fa", "f[!a]"), false);
  assertEquals(isExcluded("src/.hidden/x", [".*"]), true);
  assertEquals(isExcluded("node_modules/x/y.js", ["node_modules"]), true);
  assertEquals(isExcluded("src/app.ts", [".*", "dist"]), false);
});

Deno.test("file specs: directory walk with excludes, ownership from stat or explicit", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/proj/sub`, { recursive: true });
    await Deno.mkdir(`${dir}/proj/node_modules/m`, { recursive: true });
    await Deno.writeTextFile(`${dir}/proj/a.txt`, "a");
    await Deno.writeTextFile(`${dir}/proj/sub/b.txt`, "b");
    await Deno.writeTextFile(`${dir}/proj/sub/c.log`, "c");
    await Deno.writeTextFile(`${dir}/proj/.env`, "secret");
    await Deno.writeTextFile(`${dir}/proj/node_modules/m/i.js`, "i");
    await Deno.chmod(`${dir}/proj/a.txt`, 0o640);
    // Links: to a file (its content goes), to a directory (not walked), dangling (skipped).
    await Deno.writeTextFile(`${dir}/outside.txt`, "o");
    await Deno.symlink("../../outside.txt", `${dir}/proj/sub/link.txt`);
    await Deno.symlink("sub", `${dir}/proj/subdir-link`);
    await Deno.symlink("missing", `${dir}/proj/dangling`);
    const log = new Logger(new MemorySink());
    const files = await expandFileSpecs(["proj:/app", "proj/a.txt:u12:g34:m0755"], {
      cwd: "/work",
      hostCwd: dir,
      excludes: ["*.log"],
      log,
    });
    assertEquals(
      files.map((f) => [f.instancePath, f.mode.toString(8)]),
      [
        ["/app/a.txt", "640"],
        ["/app/sub/b.txt", files[1].mode.toString(8)],
        ["/app/sub/link.txt", files[2].mode.toString(8)],
        ["/work/proj/a.txt", "755"],
      ],
    );
    assertEquals(await Deno.readTextFile(files[2].hostPath), "o");
    assertEquals([files[3].uid, files[3].gid], [12, 34]);
    await assertRejects(
      () => expandFileSpecs(["missing.txt"], { cwd: "/", hostCwd: dir, log }),
      Error,
      "missing.txt does not exist",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// The task log snapshot: podman's k8s-file records joined into whole lines, and the snapshot
// printed in pieces — timestamps removed only where a line starts, whatever the read sizes.

import { concatBytes } from "../../src/bytes.ts";
import { joinLogRecords, joinRecordsInto, printLog } from "../../src/tasks/log_file.ts";
import { MemorySink } from "../../src/io.ts";
import { Interrupted } from "../../src/errors.ts";
import { assert, assertEquals, assertRejects } from "../support/assert.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "contree-task-log-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const T1 = "2026-12-02T00:57:00.346391752+00:00";
const T2 = "2026-12-02T00:57:01.000000001+00:00";

Deno.test("task log: k8s-file pieces become whole lines under their first timestamp", () =>
  withDir(async (dir) => {
    const records = [
      `${T1} stdout P abc`,
      `${T2} stdout P def `,
      `${T2} stdout F ghi`,
      `${T2} stderr F oops`,
      `${T2} stdout F `,
      `${T2} stdout F`,
      "not a record",
      `${T2} stdout P ${T2} looks like a stamp`,
      `${T2} stdout F  but is the program's`,
      `${T2} stdout P no newline at the end`,
    ];
    await Deno.writeTextFile(`${dir}/ctr.log`, records.join("\n") + "\n");
    await joinLogRecords(`${dir}/ctr.log`, `${dir}/container.log`);
    const z1 = T1.replace("+00:00", "Z");
    const z2 = T2.replace("+00:00", "Z");
    assertEquals(
      await Deno.readTextFile(`${dir}/container.log`),
      [
        `${z1} abcdef ghi\n`,
        `${z2} oops\n`,
        `${z2} \n`,
        `${z2} \n`,
        "not a record\n",
        `${z2} ${T2} looks like a stamp but is the program's\n`,
        `${z2} no newline at the end`,
      ].join(""),
    );
    assertEquals((await Deno.stat(`${dir}/container.log`)).mode! & 0o777, 0o600);

    const print = async (options: { tail?: number; timestamps?: boolean }) => {
      const sink = new MemorySink();
      await printLog(`${dir}/container.log`, sink, options);
      return sink.text();
    };
    const plain = [
      "abcdef ghi\n",
      "oops\n",
      "\n",
      "\n",
      "not a record\n",
      `${T2} looks like a stamp but is the program's\n`,
      "no newline at the end\n",
    ];
    assertEquals(await print({}), plain.join(""));
    assertEquals(await print({ tail: 2 }), plain.slice(-2).join(""));
    assertEquals(await print({ tail: 100 }), plain.join(""));
    assertEquals(await print({ tail: 0 }), "");
    assertEquals(await print({ tail: 1, timestamps: true }), `${z2} no newline at the end\n`);
  }));

Deno.test("task log: printing in 64 KiB reads — stamps across a read, long lines, tail far back", () =>
  withDir(async (dir) => {
    const stamp = "2026-12-02T00:57:00.346391752Z ";
    // Line starts land on every offset around the first read boundary (65,536 bytes).
    const lines: string[] = [`${stamp}${"a".repeat(65_536 - stamp.length - 20)}`];
    for (let i = 0; i < 30; i++) lines.push(`${stamp}${"b".repeat(i)}`);
    lines.push(`${stamp}${"c".repeat(300_000)}`, "unstamped", `${stamp}end`);
    await Deno.writeTextFile(`${dir}/container.log`, lines.join("\n") + "\n");
    const sink = new MemorySink();
    await printLog(`${dir}/container.log`, sink, {});
    const expected = lines.map((line) => line.startsWith(stamp) ? line.slice(stamp.length) : line);
    assertEquals(sink.text(), expected.join("\n") + "\n");
    const tail = new MemorySink();
    await printLog(`${dir}/container.log`, tail, { tail: 33 });
    assertEquals(tail.text(), expected.slice(-33).join("\n") + "\n");
    const empty = new MemorySink();
    await Deno.writeTextFile(`${dir}/empty.log`, "");
    await printLog(`${dir}/empty.log`, empty, { tail: 3 });
    assertEquals(empty.text(), "");
  }));

Deno.test("task log: a large k8s-file is joined in few large writes, byte for byte", () =>
  withDir(async (dir) => {
    // 20,000 lines, one in ten cut into three pieces: ~2 MB.
    const records: string[] = [];
    const expected: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const text = `line ${i} ${"a".repeat(80)}`;
      if (i % 10 === 0) {
        records.push(`${T1} stdout P ${text.slice(0, 5)}`, `${T2} stderr P ${text.slice(5, 9)}`);
        records.push(`${T2} stdout F ${text.slice(9)}`);
      } else records.push(`${T2} ${i % 3 ? "stdout" : "stderr"} F ${text}`);
      expected.push(`${(i % 10 === 0 ? T1 : T2).replace("+00:00", "Z")} ${text}\n`);
    }
    await Deno.writeTextFile(`${dir}/ctr.log`, records.join("\n") + "\n");
    await joinLogRecords(`${dir}/ctr.log`, `${dir}/container.log`);
    assertEquals(await Deno.readTextFile(`${dir}/container.log`), expected.join(""));
    // The writes, counted: one per piece of a line was ~60,000 here, a syscall each (twenty
    // times slower than `podman logs`).
    let writes = 0;
    const written: Uint8Array[] = [];
    using input = await Deno.open(`${dir}/ctr.log`);
    await joinRecordsInto(input, {
      write: (bytes) => {
        writes++;
        written.push(bytes.slice());
        return Promise.resolve(bytes.length);
      },
    });
    assertEquals(new TextDecoder().decode(concatBytes(written)), expected.join(""));
    assert(writes < 10, `${writes} writes for a 2 MB log`);
  }));

Deno.test("task log: an abort (Ctrl-C) stops the join between two reads, with its reason", () =>
  withDir(async (dir) => {
    const record = `${T2} stdout F ${"x".repeat(100)}\n`;
    await Deno.writeTextFile(`${dir}/ctr.log`, record.repeat(50_000)); // 6.5 MB
    const aborted = new AbortController();
    aborted.abort(new Interrupted("SIGTERM"));
    const error = await assertRejects(
      () => joinLogRecords(`${dir}/ctr.log`, `${dir}/first.log`, aborted.signal),
      Interrupted,
    );
    assertEquals((error as Interrupted).signal, "SIGTERM");
    assertEquals(await Deno.stat(`${dir}/first.log`).catch(() => null), null);

    // Aborted once the join is under way: after its second read, before the end of the file.
    let checks = 0;
    const midway = {
      get aborted() {
        return checks >= 2;
      },
      throwIfAborted() {
        if (++checks > 2) throw new Interrupted("SIGINT");
      },
    } as AbortSignal;
    await assertRejects(
      () => joinLogRecords(`${dir}/ctr.log`, `${dir}/midway.log`, midway),
      Interrupted,
    );
    const written = (await Deno.stat(`${dir}/midway.log`)).size;
    assert(written > 0 && written < (await Deno.stat(`${dir}/ctr.log`)).size, `${written}`);
  }));

// The task log snapshot: podman's k8s-file records joined into whole lines, and the snapshot
// printed in pieces — timestamps removed only where a line starts, whatever the read sizes.

import { joinLogRecords, printLog } from "../../src/tasks/log_file.ts";
import { MemorySink } from "../../src/io.ts";
import { assertEquals } from "../support/assert.ts";

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

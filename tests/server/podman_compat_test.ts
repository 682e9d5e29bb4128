// The defects of issue 15 that need a sandbox, on real podman: file modes in every spelling land
// as permissions, and the reference CLI's `run -I script.sh x y` payload (shell with args, the
// script on stdin) runs.

import type { Operation } from "../../src/api/models.ts";
import { decodeStreamRepr } from "../../src/api/stream_repr.ts";
import { assertEquals } from "../support/assert.ts";
import { podmanTest } from "../support/podman.ts";
import { startTestServer, type TestServer, waitOperation } from "../support/server.ts";

function stdout(op: Operation): string {
  return new TextDecoder().decode(decodeStreamRepr(op.metadata?.result?.stdout));
}

async function run(s: TestServer, body: Record<string, unknown>): Promise<Operation> {
  const response = await s.fetch("/instances", {
    method: "POST",
    body: JSON.stringify({ image: s.busybox, disposable: true, ...body }),
  });
  const json = await response.json();
  assertEquals(response.status, 201, JSON.stringify(json));
  return await waitOperation(s.client, json.uuid);
}

podmanTest("server on podman: what the reference clients send runs", async (t) => {
  const s = await startTestServer({ busybox: true });
  try {
    await t.step("defect 2: file modes in every spelling land as permissions", async () => {
      const file = await s.client.uploadFile(new TextEncoder().encode("data\n"));
      const modes = { "/m/a": "0o644", "/m/b": "0o100755", "/m/c": "600", "/m/d": 33184 };
      const files = Object.fromEntries(
        Object.entries(modes).map(([path, mode]) => [path, { uuid: file.uuid, mode }]),
      );
      const op = await run(s, {
        command: "stat -c '%n %a' /m/a /m/b /m/c /m/d",
        shell: true,
        files,
      });
      assertEquals(op.status, "SUCCESS");
      assertEquals(stdout(op), "/m/a 644\n/m/b 755\n/m/c 600\n/m/d 640\n");
      const shown = (op.metadata?.files ?? {}) as Record<string, { mode: string }>;
      assertEquals(Object.values(shown).map((f) => f.mode), ["0644", "0755", "0600", "0640"]);
    });

    await t.step(
      "defect 5: run -I script.sh x 'y z' — shell with args, script on stdin",
      async () => {
        const script = 'echo "args: $# [$1] [$2]"\necho "shell: $0"\n';
        const op = await run(s, {
          command: "/bin/sh",
          shell: true,
          args: ["-s", "--", "x", "y z"],
          stdin: { value: btoa(script), encoding: "base64" },
        });
        assertEquals(op.status, "SUCCESS");
        assertEquals(stdout(op), "args: 2 [x] [y z]\nshell: /bin/sh\n");
        assertEquals(op.metadata?.args, ["-s", "--", "x", "y z"]);
        // Without extra arguments (`run -I script.sh`): args ["-s"].
        const bare = await run(s, {
          command: "/bin/sh",
          shell: true,
          args: ["-s"],
          stdin: { value: btoa("echo bare $#\n"), encoding: "base64" },
        });
        assertEquals(stdout(bare), "bare 0\n");
      },
    );
  } finally {
    await s.cleanup();
  }
});

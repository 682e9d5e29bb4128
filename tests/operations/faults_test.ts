// The fault matrix of issue 14 (tests/support/fault_matrix.ts) against the scriptable fake: a
// FaultProxy between the CLI (real subprocesses) and the FakeApi with running sandboxes
// (tests/support/fake_sandbox.ts). The same rows run against the local server on podman in
// tests/integration/faults_podman_test.ts.

import { FakeApi } from "../support/fake_api.ts";
import { FakeSandbox } from "../support/fake_sandbox.ts";
import { PROGRAMS, runMatrix } from "../support/fault_matrix.ts";
import { tempHome } from "../support/cli.ts";

const IMAGE = "11111111-2222-3333-4444-555555555555";

Deno.test({
  name: "faults (fake): run, build, op wait and session wait print the sandbox's output and status",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const fake = FakeApi.start();
    const sandbox = new FakeSandbox(fake);
    for (const program of PROGRAMS) sandbox.program(program);
    const { home, cleanup } = await tempHome();
    try {
      await runMatrix({
        name: "fake",
        upstream: { hostname: "127.0.0.1", port: fake.port },
        token: fake.token,
        image: IMAGE,
        home,
        scratch: home,
      }, 4);
    } finally {
      await fake.close();
      await cleanup();
    }
  },
});

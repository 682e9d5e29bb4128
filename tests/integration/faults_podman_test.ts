// The fault matrix of issue 14 (tests/support/fault_matrix.ts) against the real local server on
// podman: a FaultProxy between the CLI (real subprocesses) and the in-process server. Same rows
// as tests/operations/faults_test.ts (the fake), four checks at a time.

import { tempHome } from "../support/cli.ts";
import { runMatrix } from "../support/fault_matrix.ts";
import { podmanTest } from "../support/podman.ts";
import { startTestServer } from "../support/server.ts";

podmanTest(
  "faults (podman): run, build, op wait and session wait print the sandbox's output and status",
  async () => {
    const server = await startTestServer({ busybox: true });
    const { home, cleanup } = await tempHome();
    try {
      await runMatrix({
        name: "podman",
        upstream: { hostname: "127.0.0.1", port: server.server.port },
        token: server.token,
        image: server.busybox,
        home,
        scratch: home,
      }, 4);
    } finally {
      await server.cleanup();
      await cleanup();
    }
  },
);

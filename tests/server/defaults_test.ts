// The detached server's runtime settings, merged with the user's own.

import {
  SERVER_MALLOC_MMAP_THRESHOLD,
  SERVER_V8_FLAGS,
  serverProcessEnv,
} from "../../src/server/defaults.ts";
import { assertEquals } from "../support/assert.ts";

const envOf = (vars: Record<string, string>) => ({ get: (name: string) => vars[name] });

Deno.test("server process env: ours alone, or the user's after ours (V8 takes the last)", () => {
  const ours = {
    DENO_V8_FLAGS: SERVER_V8_FLAGS.join(","),
    MALLOC_MMAP_THRESHOLD_: SERVER_MALLOC_MMAP_THRESHOLD,
  };
  assertEquals(serverProcessEnv(envOf({})), ours);
  assertEquals(serverProcessEnv(envOf({ DENO_V8_FLAGS: "", MALLOC_MMAP_THRESHOLD_: "" })), ours);
  assertEquals(
    serverProcessEnv(envOf({
      DENO_V8_FLAGS: "--max-semi-space-size=8,--trace-gc",
      MALLOC_MMAP_THRESHOLD_: "65536",
    })),
    {
      DENO_V8_FLAGS: `${SERVER_V8_FLAGS.join(",")},--max-semi-space-size=8,--trace-gc`,
      MALLOC_MMAP_THRESHOLD_: "65536",
    },
  );
});

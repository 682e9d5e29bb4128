// Large downloads stream: `cat`, `cp` of a file and `cp` of a directory with 200 MB in it
// (gzip-encoded on the wire, as the real API sends everything) keep the child's peak memory
// flat. The peak (VmHWM) is read from /proc while the fake still holds back the last chunk, i.e.
// after the child has handled everything else.

import { assert, assertEquals } from "../support/assert.ts";
import { spawnCli } from "../support/cli.ts";
import { directoriesListing, type FakeApi } from "../support/fake_api.ts";
import { bigTarStream, IMAGE, patternStream, peakRss, withCli } from "../support/images.ts";

const BIG = 200 * 1024 * 1024;
const SMALL = 2 * 1024 * 1024;
const MiB = 1024 * 1024;

function gzipped(body: ReadableStream<Uint8Array>): Response {
  const compressed = body.pipeThrough(
    new CompressionStream("gzip") as ReadableWritablePair<Uint8Array, Uint8Array>,
  );
  return new Response(compressed, { headers: { "content-encoding": "gzip" } });
}

interface Run {
  peak: number;
  stdoutBytes: number;
  stderr: string;
}

/** Runs the CLI while the fake serves `body()`; returns the child's peak before the last chunk. */
async function measure(
  fake: FakeApi,
  env: Record<string, string>,
  cwd: string,
  args: string[],
  route: "download" | "archive",
  body: (beforeLast: () => Promise<void>) => ReadableStream<Uint8Array>,
): Promise<Run> {
  let peak = 0;
  fake.on("GET", `/v1/inspect/${IMAGE}/${route}`, () =>
    gzipped(body(async () => {
      peak = await peakRss(child.pid); // called once the child asks
    })));
  const child = spawnCli(args, { env, cwd });
  let stdoutBytes = 0;
  const counting = child.stdout.pipeTo(
    new WritableStream({ write: (chunk) => void (stdoutBytes += chunk.length) }),
  );
  const stderr = new Response(child.stderr).text();
  const status = await child.status;
  await counting;
  const text = await stderr;
  assertEquals(status.code, 0, text);
  assert(peak > 0, "the peak was measured before the last chunk");
  return { peak, stdoutBytes, stderr: text };
}

Deno.test("200 MB through cat, cp of a file and cp of a directory: peak memory stays flat", () =>
  withCli(async ({ fake, env, home, cli }) => {
    assertEquals((await cli(["use", IMAGE])).code, 0);
    const file = (size: number) => (beforeLast: () => Promise<void>) =>
      patternStream(size, { beforeLast });

    const small = await measure(fake, env, home, ["cat", "/small"], "download", file(SMALL));
    assertEquals(small.stdoutBytes, SMALL);
    const grew = (run: Run) => `${(run.peak - small.peak) / MiB | 0} MiB`;

    const cat = await measure(fake, env, home, ["cat", "/big"], "download", file(BIG));
    assertEquals(cat.stdoutBytes, BIG);
    assert(cat.peak - small.peak < 48 * MiB, `cat: the peak grew by ${grew(cat)}`);

    const cp = await measure(fake, env, home, ["cp", "/big", "big.bin"], "download", file(BIG));
    assertEquals((await Deno.stat(`${home}/big.bin`)).size, BIG);
    assert(cp.peak - small.peak < 48 * MiB, `cp file: the peak grew by ${grew(cp)}`);
    assert(cp.stderr.includes("[INFO] Written 200.0 MiB to big.bin"), cp.stderr);
    await Deno.remove(`${home}/big.bin`);

    // A directory goes through the tar reader in JavaScript: bounded, if less flat.
    fake.on("GET", `/v1/inspect/${IMAGE}/download`, () => ({
      status: 422,
      json: { error: "not a file", status: 422 },
    }));
    fake.on("GET", `/v1/inspect/${IMAGE}/list`, () => directoriesListing("/", ["data"]));
    const dir = await measure(
      fake,
      env,
      home,
      ["cp", "/data", "data"],
      "archive",
      (beforeLast) => bigTarStream("data", "big.bin", BIG, { beforeLast }),
    );
    assertEquals((await Deno.stat(`${home}/data/big.bin`)).size, BIG);
    assert(dir.peak - small.peak < 100 * MiB, `cp directory: the peak grew by ${grew(dir)}`);
    await Deno.remove(`${home}/data`, { recursive: true });
  }));

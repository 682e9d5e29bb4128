// The server's side of `cat` (issue 16): `contree cat` of a file that does not compress (random bytes) against curl reading the same
// download without gzip, run after run: the server should send such a body as it is.

import { podmanUnavailable } from "../../tests/support/podman.ts";
import { startTestServer, waitOperation } from "../../tests/support/server.ts";
import {
  benchMain,
  type BenchReport,
  checked,
  contreeArgv,
  contreeEnv,
  contreeLine,
  LOCAL_PROFILE_ENV,
  type Measured,
  round,
  stats,
  tempDir,
} from "./lib.ts";

export const CAT_SERVER_DEFAULTS = { runs: 7, mb: 50 };
export type CatServerOptions = typeof CAT_SERVER_DEFAULTS;

const GOAL = 2;
const PATH = "/root/random.bin";

export async function catServerBench(options: CatServerOptions): Promise<BenchReport> {
  const title = `\`contree cat\` of ${options.mb} MB of random bytes vs curl without gzip`;
  const unavailable = await podmanUnavailable();
  if (unavailable) {
    return { name: "cat-server", title, commands: [], rows: [], goals: [], notes: [unavailable] };
  }
  const server = await startTestServer({ busybox: true });
  const home = await tempDir("contree-bench-home-");
  try {
    const bytes = Math.round(options.mb * 1_000_000);
    const made = await waitOperation(
      server.client,
      (await server.client.spawn({
        image: server.busybox,
        command: `head -c ${bytes} /dev/urandom > ${PATH}`,
        shell: true,
        timeout: 600,
      })).uuid,
    );
    if (made.status !== "SUCCESS") throw new Error(`making the file failed: ${made.error}`);
    const image = made.result_image_uuid!;
    const env = contreeEnv({
      CONTREE_HOME: home.path,
      CONTREE_URL: server.url,
      CONTREE_TOKEN: server.token,
      CONTREE_SESSION: "bench-cat",
      ...LOCAL_PROFILE_ENV,
    });
    const catArgs = ["cat", "--image", image, PATH];
    const url = `${server.url}/v1/inspect/${image}/download?path=${PATH}`;
    const curlArgv = [
      "sh",
      "-c",
      'curl -s -f -o /dev/null -H "Authorization: Bearer $BENCH_TOKEN" "$1"',
      "curl",
      url,
    ];
    const curlEnv = { ...contreeEnv(), BENCH_TOKEN: server.token };
    const contree: Measured[] = [];
    const curl: Measured[] = [];
    await checked("contree cat", contreeArgv(catArgs), { env });
    await checked("curl", curlArgv, { env: curlEnv });
    for (let i = 0; i < options.runs; i++) {
      contree.push(await checked("contree cat", contreeArgv(catArgs), { env }));
      curl.push(await checked("curl", curlArgv, { env: curlEnv }));
    }
    const encoding = (await server.fetch(`/inspect/${image}/download?path=${PATH}`)).headers
      .get("content-encoding");
    const contreeWall = stats(contree.map((m) => m.wallMs / 1000));
    const curlWall = stats(curl.map((m) => m.wallMs / 1000));
    const ratio = contreeWall.median / curlWall.median;
    return {
      name: "cat-server",
      title,
      commands: [
        `deno task bench --only cat-server   # or: deno run -A scripts/bench/cat_server.ts --runs ${options.runs}`,
        `${contreeLine(["cat", "--image", "IMAGE", PATH])} > /dev/null`,
        `curl -s -f -o /dev/null -H "Authorization: Bearer $TOKEN" "$URL/v1/inspect/IMAGE/download?path=${PATH}"`,
      ],
      rows: [
        { subject: "contree cat", metric: "wall", unit: "s", stats: contreeWall },
        { subject: "curl, no gzip", metric: "wall", unit: "s", stats: curlWall },
      ],
      goals: [{
        what: "contree / curl wall",
        value: `${round(ratio, 2)}×`,
        goal: `≤ ${GOAL}×`,
        met: ratio <= GOAL,
      }],
      notes: [
        `The file is ${options.mb} MB from /dev/urandom in an image made by a run on the local server (in the bench process). A client that accepts gzip gets Content-Encoding: ${
          encoding ?? "none"
        } for it. contree's wall time includes its own start (~70 ms, see Startup).`,
      ],
    };
  } finally {
    await home.remove();
    await server.cleanup();
  }
}

if (import.meta.main) await benchMain(CAT_SERVER_DEFAULTS, catServerBench);

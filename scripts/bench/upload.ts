// Uploads to the local server: `contree run -D -F FILE:/r -- true` of a file of random bytes (new
// content every run, so that nothing is reused) against curl streaming the same file to
// `POST /v1/files` (chunked, as contree's client sends it), run after run. contree's figure
// includes its own start, the file's sha256 and a disposable run of `true`.

import { podmanUnavailable } from "../../tests/support/podman.ts";
import { startTestServer } from "../../tests/support/server.ts";
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

export const UPLOAD_DEFAULTS = { runs: 5, mb: 200 };
export type UploadOptions = typeof UPLOAD_DEFAULTS;

export async function uploadBench(options: UploadOptions): Promise<BenchReport> {
  const title = `upload of ${options.mb} MB to the local server: \`contree run -F\` vs curl`;
  const unavailable = await podmanUnavailable();
  if (unavailable) {
    return { name: "upload", title, commands: [], rows: [], goals: [], notes: [unavailable] };
  }
  const server = await startTestServer({ busybox: true });
  const home = await tempDir("contree-bench-home-");
  const data = await tempDir("contree-bench-upload-");
  try {
    const file = `${data.path}/random.bin`;
    const bytes = String(Math.round(options.mb * 1_000_000));
    await new Deno.Command("sh", {
      args: ["-c", 'head -c "$1" /dev/urandom > "$2"', "sh", bytes, file],
    }).output();
    // Fresh content for every contree run: otherwise the server already has the file.
    const renew = async () => {
      const handle = await Deno.open(file, { write: true });
      await handle.write(crypto.getRandomValues(new Uint8Array(32)));
      handle.close();
    };
    const env = contreeEnv({
      CONTREE_HOME: home.path,
      CONTREE_URL: server.url,
      CONTREE_TOKEN: server.token,
      CONTREE_SESSION: "bench-upload",
      ...LOCAL_PROFILE_ENV,
    });
    const runArgs = ["run", "-D", "--use", server.busybox, "-F", `${file}:/r`, "--", "true"];
    const curlArgv = [
      "sh",
      "-c",
      'curl -s -f -o /dev/null -H "Authorization: Bearer $BENCH_TOKEN" ' +
      '-H "Transfer-Encoding: chunked" --data-binary "@$2" "$1/v1/files"',
      "curl",
      server.url,
      file,
    ];
    const curlEnv = { ...contreeEnv(), BENCH_TOKEN: server.token };
    const contree: Measured[] = [];
    const curl: Measured[] = [];
    await renew();
    await checked("contree run -F", contreeArgv(runArgs), { env });
    await checked("curl", curlArgv, { env: curlEnv });
    for (let i = 0; i < options.runs; i++) {
      await renew();
      contree.push(await checked("contree run -F", contreeArgv(runArgs), { env }));
      curl.push(await checked("curl", curlArgv, { env: curlEnv }));
    }
    const contreeWall = stats(contree.map((m) => m.wallMs / 1000));
    const curlWall = stats(curl.map((m) => m.wallMs / 1000));
    return {
      name: "upload",
      title,
      commands: [
        `deno task bench --only upload   # or: deno run -A scripts/bench/upload.ts --runs ${options.runs} --mb ${options.mb}`,
        contreeLine(["run", "-D", "--use", "IMAGE", "-F", "random.bin:/r", "--", "true"]),
        `curl -s -f -o /dev/null -H "Authorization: Bearer $TOKEN" -H "Transfer-Encoding: chunked" --data-binary @random.bin "$URL/v1/files"`,
      ],
      rows: [
        { subject: "contree run -F", metric: "wall", unit: "s", stats: contreeWall },
        { subject: "curl, chunked upload", metric: "wall", unit: "s", stats: curlWall },
      ],
      goals: [{
        what: "contree run -F / curl upload wall",
        value: `${round(contreeWall.median / curlWall.median, 2)}×`,
        goal: "(no goal: measured)",
      }],
      notes: [
        `The file is ${options.mb} MB from /dev/urandom; its first 32 bytes change before every contree run. The server (in the bench process) stores each upload through its blob store, whatever it already has.`,
      ],
    };
  } finally {
    await data.remove();
    await home.remove();
    await server.cleanup();
  }
}

if (import.meta.main) await benchMain(UPLOAD_DEFAULTS, uploadBench);

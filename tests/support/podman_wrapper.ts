// An executable standing in for podman (the server's podman binary / CONTREE_PODMAN): it runs the
// real podman unless told, through a control file, to fail or stall at one subcommand. Faults
// are set between steps without restarting the server.
//
//   fail <verb>    print "Error: injected failure at <verb>" on stderr and exit 125
//   oci <verb>     fail as podman does when the OCI runtime cannot start the container (exit 126)
//   stall <verb>   touch `stalled`, sleep, then run podman and touch `done` (a slow step)
//   busy <verb>    run podman, then fail as podman rm does when it removed the container but
//                  could not unmount its shm (conmon's cleanup still held it)
//   linger <verb>  run podman, touch `stalled`, and exit with its code only once `release`
//                  exists (a podman slow to return after its work is done)
//
// <verb> is podman's subcommand ("create", "start", "cp", "commit", "rm", "run") or its two
// words for "image inspect", "image mount" and the like. Global options before it are skipped.

const SCRIPT = `#!/bin/sh
dir=$(dirname "$0")
verb=""
for arg in "$@"; do
  case "$arg" in
    -*) ;;
    *) if [ -z "$verb" ]; then verb="$arg"; case "$arg" in image|container) continue;; esac;
       else verb="$verb $arg"; fi; break;;
  esac
done
fault=$(cat "$dir/fault" 2>/dev/null)
case "$fault" in
  "fail $verb")
    echo "Error: injected failure at $verb" >&2
    exit 125;;
  "oci $verb")
    echo "Error: runc: runc create failed: unable to start container process: error during container init: injected failure at $verb: OCI permission denied" >&2
    exit 126;;
  "busy $verb")
    "$dir/podman.real" "$@" >/dev/null 2>&1
    echo "Error: removing container 0123 root filesystem: 1 error occurred:" >&2
    echo "	* unlinkat /var/lib/containers/storage/overlay-containers/0123/userdata/shm: device or resource busy" >&2
    exit 125;;
  "linger $verb")
    "$dir/podman.real" "$@"
    code=$?
    touch "$dir/stalled"
    while [ ! -e "$dir/release" ]; do sleep 0.05; done
    touch "$dir/done"
    exit $code;;
  "stall $verb")
    touch "$dir/stalled"
    # Its own fds: a stall cut short must not keep the caller's pipes open.
    sleep "$(cat "$dir/stall_seconds" 2>/dev/null || echo 5)" </dev/null >/dev/null 2>&1
    "$dir/podman.real" "$@"
    code=$?
    touch "$dir/done"
    exit $code;;
esac
exec "$dir/podman.real" "$@"
`;

export interface PodmanWrapper {
  /** The executable to use as podman. */
  binary: string;
  dir: string;
  /** Sets the fault ("fail commit", "stall image inspect", …) or clears it (undefined). */
  fault(fault: string | undefined, stallSeconds?: number): Promise<void>;
  /** Resolves once the file `name` (`stalled`, `done`) exists in the wrapper's directory. */
  appears(name: "stalled" | "done"): Promise<void>;
  /** Lets a lingering podman exit. */
  release(): Promise<void>;
  remove(): Promise<void>;
}

async function realPodman(): Promise<string> {
  const out = await new Deno.Command("sh", {
    args: ["-c", "command -v podman"],
    stdout: "piped",
  }).output();
  const path = new TextDecoder().decode(out.stdout).trim();
  if (!path) throw new Error("podman is not on PATH");
  return path;
}

export async function podmanWrapper(): Promise<PodmanWrapper> {
  const dir = await Deno.makeTempDir({ prefix: "contree-podman-wrapper-" });
  const binary = `${dir}/podman`;
  await Deno.writeTextFile(binary, SCRIPT, { mode: 0o755 });
  await Deno.chmod(binary, 0o755);
  await Deno.symlink(await realPodman(), `${dir}/podman.real`);
  return {
    binary,
    dir,
    fault: async (fault, stallSeconds) => {
      for (const marker of ["stalled", "done", "release"]) {
        await Deno.remove(`${dir}/${marker}`).catch(() => {});
      }
      if (stallSeconds !== undefined) {
        await Deno.writeTextFile(`${dir}/stall_seconds`, String(stallSeconds));
      }
      if (fault === undefined) await Deno.remove(`${dir}/fault`).catch(() => {});
      else await Deno.writeTextFile(`${dir}/fault`, fault);
    },
    appears: async (name) => {
      const path = `${dir}/${name}`;
      const watcher = Deno.watchFs(dir);
      try {
        if (await Deno.stat(path).then(() => true, () => false)) return;
        for await (const event of watcher) {
          if (event.paths.includes(path)) return;
        }
      } finally {
        watcher.close();
      }
    },
    release: () => Deno.writeTextFile(`${dir}/release`, ""),
    remove: () => Deno.remove(dir, { recursive: true }).catch(() => {}),
  };
}

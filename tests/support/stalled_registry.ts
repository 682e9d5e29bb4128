// A registry on 127.0.0.1 that takes podman's request and never answers it: a `docker://` import
// of one of its references stays EXECUTING, pulling, until it is cancelled. podman reaches it
// over plain HTTP through a registries.conf that marks it insecure (podman tries TLS first: that
// connection is closed at once, so podman falls back to HTTP without waiting out a handshake).

export interface StalledRegistry {
  /** A reference on this registry (`127.0.0.1:PORT/stalled:latest`). */
  reference: string;
  /** The environment podman needs to reach it (CONTAINERS_REGISTRIES_CONF). */
  podmanEnv: Record<string, string>;
  /** Settles when podman's first HTTP request has arrived (and is being held). */
  reached: Promise<void>;
  close(): Promise<void>;
}

const TLS_HANDSHAKE = 0x16;

export async function startStalledRegistry(): Promise<StalledRegistry> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const host = `127.0.0.1:${listener.addr.port}`;
  const dir = await Deno.makeTempDir({ prefix: "contree-registry-" });
  const conf = `${dir}/registries.conf`;
  await Deno.writeTextFile(conf, `[[registry]]\nlocation = "${host}"\ninsecure = true\n`);
  const held: Deno.Conn[] = [];
  let reached!: () => void;
  const reachedPromise = new Promise<void>((resolve) => reached = resolve);
  const hold = async (conn: Deno.Conn) => {
    const first = new Uint8Array(1);
    const read = await conn.read(first).catch(() => null);
    if (read === null || first[0] === TLS_HANDSHAKE) {
      closeQuietly(conn);
    } else {
      reached();
    }
  };
  const serving = (async () => {
    for await (const conn of listener) {
      held.push(conn);
      hold(conn);
    }
  })();
  return {
    reference: `${host}/stalled:latest`,
    podmanEnv: { CONTAINERS_REGISTRIES_CONF: conf },
    reached: reachedPromise,
    close: async () => {
      listener.close();
      await serving.catch(() => {});
      held.forEach(closeQuietly);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // closed already
  }
}

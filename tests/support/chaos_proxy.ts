// A TCP proxy on 127.0.0.1 that cuts connections: once a connection has carried a random
// number of response bytes (within [minBytes, maxBytes]) it is closed on both sides, for the
// first `cuts` connections long enough to reach their cut point. Everything else passes through.

import { prng } from "./prng.ts";
import { writeAll } from "../../src/bytes.ts";

export interface ChaosOptions {
  /** Target `host:port`. */
  target: { hostname: string; port: number };
  /** How many connections to cut. */
  cuts: number;
  minBytes: number;
  maxBytes: number;
  /** Seed for the cut points (tests are reproducible). */
  seed?: number;
}

export class ChaosProxy {
  /** Connections cut so far. */
  cutCount = 0;
  connections = 0;
  readonly #listener: Deno.TcpListener;
  readonly #random: () => number;
  readonly #open = new Set<Deno.TcpConn>();
  readonly #serving: Promise<void>;

  constructor(private readonly options: ChaosOptions) {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#random = prng(options.seed ?? 42);
    this.#serving = this.#accept();
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#listener.addr as Deno.NetAddr).port}`;
  }

  async close(): Promise<void> {
    this.#listener.close();
    for (const conn of this.#open) this.#closeQuietly(conn);
    await this.#serving.catch(() => {});
  }

  #closeQuietly(conn: Deno.TcpConn): void {
    try {
      conn.close();
    } catch {
      // already closed
    }
    this.#open.delete(conn);
  }

  async #accept(): Promise<void> {
    for await (const client of this.#listener) {
      this.connections++;
      this.#pipe(client).catch(() => {});
    }
  }

  async #pipe(client: Deno.TcpConn): Promise<void> {
    const server = await Deno.connect(this.options.target);
    this.#open.add(client);
    this.#open.add(server);
    const { minBytes, maxBytes } = this.options;
    const cutAt = minBytes + Math.floor(this.#random() * (maxBytes - minBytes));
    let carried = 0;
    let cut = false;
    const upstream = (async () => {
      const buffer = new Uint8Array(64 * 1024);
      for (;;) {
        const n = await client.read(buffer).catch(() => null);
        if (n === null || cut) break;
        await server.write(buffer.subarray(0, n)).catch(() => {});
      }
    })();
    const downstream = (async () => {
      const buffer = new Uint8Array(64 * 1024);
      for (;;) {
        const n = await server.read(buffer).catch(() => null);
        if (n === null) break;
        let chunk = buffer.subarray(0, n);
        if (this.cutCount < this.options.cuts && carried + n >= cutAt) {
          chunk = chunk.subarray(0, Math.max(0, cutAt - carried));
          if (chunk.length > 0) await writeAll(client, chunk).catch(() => {});
          cut = true;
          this.cutCount++;
          break;
        }
        carried += n;
        if (!(await writeAll(client, chunk).then(() => true, () => false))) break;
      }
    })();
    await downstream;
    this.#closeQuietly(client);
    this.#closeQuietly(server);
    await upstream;
  }
}

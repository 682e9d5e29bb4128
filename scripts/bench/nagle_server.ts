// A plain keep-alive HTTP/1.1 server for the `op wait` bench, with TCP_NODELAY on or off: it
// writes each response's headers and body in two writes, as many simple servers do. Without
// TCP_NODELAY the body waits behind Nagle's algorithm for the ACK of the headers, which a client
// on a kept-alive connection delays (~40 ms on Linux); a fresh connection ACKs at once. It
// answers the routes `op wait` uses: the active listing (empty), a finished operation, and its
// completion stream (the completion at once, as for any finished operation).

export interface NagleServer {
  url: string;
  /** Connections accepted and requests answered so far. */
  connections: number;
  requests: number;
  close(): Promise<void>;
}

const encoder = new TextEncoder();

function operation(uuid: string): string {
  return JSON.stringify({
    uuid,
    kind: "instance",
    status: "SUCCESS",
    error: null,
    created_at: "2026-06-08T20:00:00Z",
    duration: 1,
    metadata: { result: { state: { exit_code: 0, timed_out: false } } },
  });
}

function completionFrame(): string {
  const data = { status: "SUCCESS", result_image_uuid: null, error: null, duration_ms: 1000 };
  const event = { id: 0, ts: "2026-06-08T20:00:01Z", spid: 0, type: "completion", data };
  return `id: 0\nevent: completion\ndata: ${JSON.stringify(event)}\n\n`;
}

export function startNagleServer(noDelay: boolean): NagleServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const server: NagleServer = {
    url: `http://127.0.0.1:${listener.addr.port}`,
    connections: 0,
    requests: 0,
    close: async () => {
      listener.close();
      for (const conn of conns) conn.close();
      await accepting;
    },
  };
  const serve = async (conn: Deno.TcpConn) => {
    conn.setNoDelay(noDelay);
    const buffer = new Uint8Array(64 * 1024);
    const decoder = new TextDecoder();
    let pending = "";
    try {
      for (;;) {
        const n = await conn.read(buffer);
        if (n === null) break;
        pending += decoder.decode(buffer.subarray(0, n), { stream: true });
        for (let end = pending.indexOf("\r\n\r\n"); end >= 0; end = pending.indexOf("\r\n\r\n")) {
          const head = pending.slice(0, end);
          pending = pending.slice(end + 4);
          server.requests++;
          const path = new URL(head.split(" ")[1] ?? "/", "http://server").pathname;
          const events = path.endsWith("/events");
          const body = encoder.encode(
            path === "/v1/operations"
              ? "[]"
              : events
              ? completionFrame()
              : operation(path.split("/").pop() ?? ""),
          );
          const close = /\r\nconnection:\s*close/i.test(head);
          const type = events ? "text/event-stream" : "application/json";
          await conn.write(encoder.encode(
            `HTTP/1.1 200 OK\r\ncontent-type: ${type}\r\ncontent-length: ${body.length}\r\n` +
              `${close ? "connection: close\r\n" : ""}\r\n`,
          ));
          await conn.write(body);
          if (close) return;
        }
      }
    } catch {
      // the client went away
    } finally {
      conns.delete(conn);
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        server.connections++;
        conns.add(conn);
        void serve(conn);
      }
    } catch {
      // closed
    }
  })();
  return server;
}

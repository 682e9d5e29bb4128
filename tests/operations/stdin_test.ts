// Piped stdin in bursts (src/operations/stdin.ts), from a pipe whose writes the test times: an
// idle pipe is no stdin, a quick one goes whole in the spawn request, a slow or large one is
// split and forwarded, and the forwarder waits through 425, stops at 409 and at the run's end.

import { ApiError, NetworkError } from "../../src/api/errors.ts";
import type { ClosableStreamRepr } from "../../src/api/models.ts";
import { base64ToBytes } from "../../src/api/stream_repr.ts";
import { knownEmpty, type Source } from "../../src/io.ts";
import { forwardStdin, PipedStdin, type StdinPiece } from "../../src/operations/stdin.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { testContext } from "../support/context.ts";

/** A pipe the test writes to; `source` reads it. */
function pipe() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  const source: Source = { isTerminal: false, readable: () => stream };
  return {
    source,
    write: (text: string | Uint8Array) =>
      controller.enqueue(typeof text === "string" ? new TextEncoder().encode(text) : text),
    close: () => controller.close(),
  };
}

const text = (piece: StdinPiece) => new TextDecoder().decode(piece.bytes);

async function rest(piped: PipedStdin): Promise<StdinPiece[]> {
  const pieces: StdinPiece[] = [];
  for await (const piece of piped.rest()) pieces.push(piece);
  return pieces;
}

Deno.test("stdin: a terminal, an idle pipe and an empty one are no stdin", async () => {
  assertEquals(
    await PipedStdin.open({ isTerminal: true, readable: () => pipe().source.readable() }),
    undefined,
  );
  const idle = pipe();
  assertEquals(await PipedStdin.open(idle.source, { graceMs: 20 }), undefined);
  const empty = pipe();
  empty.close();
  assertEquals(await PipedStdin.open(empty.source), undefined);
});

Deno.test("stdin: /dev/null and an empty file are known empty, and not read", async () => {
  const dir = await Deno.makeTempDir({ prefix: "contree-stdin-" });
  try {
    await Deno.writeTextFile(`${dir}/empty`, "");
    await Deno.writeTextFile(`${dir}/full`, "x");
    assertEquals(
      ["/dev/null", `${dir}/empty`, `${dir}/full`, "/dev/zero", dir, `${dir}/missing`].map((path) =>
        knownEmpty(path)
      ),
      [true, true, false, false, false, false],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const source: Source = {
    isTerminal: false,
    knownEmpty: () => true,
    readable: () => {
      throw new Error("read");
    },
  };
  assertEquals(await PipedStdin.open(source), undefined);
});

Deno.test("stdin: a pipe that counted as idle and brings data later is told, not lost silently", async () => {
  const input = pipe();
  let late = 0;
  const told = new Promise<void>((resolve) => {
    const opened = PipedStdin.open(input.source, {
      graceMs: 10,
      onLate: () => (late++, resolve()),
    });
    opened.then((piped) => {
      assertEquals(piped, undefined);
      input.write("too late");
    });
  });
  await told;
  assertEquals(late, 1);
});

Deno.test("stdin: what ends quickly goes whole in the first piece", async () => {
  const input = pipe();
  input.write("hello ");
  input.write("world\n");
  input.close();
  const piped = (await PipedStdin.open(input.source))!;
  assertEquals([text(piped.first), piped.first.ended], ["hello world\n", true]);
  assertEquals(await rest(piped), []);
});

Deno.test("stdin: a slow producer streams: the first burst, then the rest as it comes", async () => {
  const input = pipe();
  input.write("a");
  const piped = (await PipedStdin.open(input.source, { quietMs: 10 }))!;
  assertEquals([text(piped.first), piped.first.ended], ["a", false]);
  const pieces = rest(piped);
  input.write("b");
  input.write("c");
  setTimeout(() => {
    input.write("d");
    input.close();
  }, 40);
  const got = await pieces;
  assertEquals(got.map(text).join(""), "bcd");
  assertEquals(got.at(-1)!.ended, true);
  assert(got.slice(0, -1).every((piece) => !piece.ended));
});

Deno.test("stdin: pieces never pass their size, a large write included", async () => {
  const input = pipe();
  const bytes = new Uint8Array(2500).map((_, i) => i % 251);
  input.write(bytes);
  input.close();
  const piped = (await PipedStdin.open(input.source, { pieceBytes: 1000 }))!;
  const pieces = [piped.first, ...await rest(piped)];
  assertEquals(pieces.map((piece) => piece.bytes.length), [1000, 1000, 500]);
  assertEquals(pieces.map((piece) => piece.ended), [false, false, true]);
  const joined = new Uint8Array(pieces.flatMap((piece) => [...piece.bytes]));
  assertEquals(joined, bytes);
});

interface Write {
  body: ClosableStreamRepr;
}

Deno.test("stdin forwarder: waits through 425, closes with the last piece; 409 stops it", async () => {
  const ctx = testContext({ logLevel: "debug" });
  const input = pipe();
  input.write("first");
  const piped = (await PipedStdin.open(input.source, { quietMs: 5 }))!;
  const writes: Write[] = [];
  let tooEarly = 2;
  const api = {
    writeStdin(_uuid: string, _spid: number, body: ClosableStreamRepr) {
      if (tooEarly-- > 0) return Promise.reject(new ApiError(425, "Too Early", "queued", 0));
      writes.push({ body });
      return Promise.resolve();
    },
    cancelOperation: () => Promise.reject(new Error("not to be cancelled")),
  };
  const forwarding = forwardStdin(api, "op", piped, ctx, new AbortController().signal);
  input.write("second");
  setTimeout(() => input.close(), 20);
  await forwarding;
  const decoded = writes.map((w) => new TextDecoder().decode(base64ToBytes(w.body.value)));
  assertEquals(decoded.join(""), "second");
  assertEquals(writes.at(-1)!.body.close, true);

  // The process ended: 409, nothing more is read or sent.
  const more = pipe();
  more.write("x");
  const second = (await PipedStdin.open(more.source, { quietMs: 5 }))!;
  let calls = 0;
  const ended = {
    writeStdin() {
      calls++;
      return Promise.reject(new ApiError(409, "Conflict", "process has exited"));
    },
    cancelOperation: () => Promise.reject(new Error("not to be cancelled")),
  };
  const stopped = forwardStdin(ended, "op", second, ctx, new AbortController().signal);
  more.write("y");
  await stopped;
  assertEquals(calls, 1);
  assertEquals(ctx.stderr.text().includes("[WARNING]"), false, ctx.stderr.text());
});

Deno.test("stdin forwarder: the run's end stops a read waiting on a quiet pipe", async () => {
  const ctx = testContext();
  const input = pipe();
  input.write("only");
  const piped = (await PipedStdin.open(input.source, { quietMs: 5 }))!;
  const done = new AbortController();
  const api = { writeStdin: () => Promise.resolve(), cancelOperation: () => Promise.resolve() };
  const forwarding = forwardStdin(api, "op", piped, ctx, done.signal);
  done.abort();
  await forwarding; // resolves although the pipe never ends
});

Deno.test("stdin forwarder: a write that fails cancels the operation (its input is incomplete)", async () => {
  const ctx = testContext();
  const input = pipe();
  input.write("first");
  const piped = (await PipedStdin.open(input.source, { quietMs: 5 }))!;
  const cancelled: string[] = [];
  let writes = 0;
  const api = {
    writeStdin() {
      writes++;
      return Promise.reject(new ApiError(503, "Service Unavailable", "busy"));
    },
    cancelOperation(uuid: string) {
      cancelled.push(uuid);
      return Promise.resolve();
    },
  };
  const forwarding = forwardStdin(api, "op", piped, ctx, new AbortController().signal);
  input.write("second");
  await forwarding; // the pipe never ends: the failed write stopped the reading
  // Was: a warning, and the process waited for the rest of its stdin until its timeout.
  assertEquals([writes, cancelled], [1, ["op"]]);
  assertEquals(
    ctx.stderr.text().trim().split("\n").at(-1),
    "[WARNING] Could not write stdin of operation op: API 503 Service Unavailable: busy; " +
      "cancelling it, as its input would be incomplete",
  );
});

Deno.test("stdin forwarder: a refused connection is tried again; every write has a deadline", async () => {
  const ctx = testContext();
  const input = pipe();
  input.write("first");
  const piped = (await PipedStdin.open(input.source, { quietMs: 5 }))!;
  const timeouts: (number | undefined)[] = [];
  const cancelled: string[] = [];
  const api = {
    writeStdin(_uuid: string, _spid: number, _body: ClosableStreamRepr, options?: {
      timeoutMs?: number;
    }) {
      timeouts.push(options?.timeoutMs);
      // Nothing was sent: the server was restarting (was: the run cancelled at once).
      if (timeouts.length === 1) {
        return Promise.reject(new NetworkError("connect: Connection refused (os error 111)"));
      }
      return Promise.resolve();
    },
    cancelOperation(uuid: string) {
      cancelled.push(uuid);
      return Promise.resolve();
    },
  };
  const forwarding = forwardStdin(api, "op", piped, ctx, new AbortController().signal);
  input.write("second");
  input.close();
  await forwarding;
  assertEquals(cancelled, []);
  // A stalled connection ends the write (was: no deadline, the run held until its timeout).
  assert(timeouts.length >= 2 && timeouts.every((ms) => ms === 60_000), String(timeouts));
});

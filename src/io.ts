// Byte sinks and sources for stdout/stderr/stdin. Commands never touch Deno.stdout directly:
// they write through a Sink so tests can capture output and so writes are serialised.

import { concatBytes, writeAll } from "./bytes.ts";

const encoder = new TextEncoder();

/** Where bytes go. Writes are serialised in call order; each resolves once fully written. */
export interface Sink {
  /**
   * Writes every byte, or rejects (Deno.errors.BrokenPipe when the reader went away). The
   * caller may reuse `data` once the write has settled: a sink that keeps bytes copies them.
   */
  write(data: Uint8Array | string): Promise<void>;
  /** Resolves once every write issued so far has settled. Never rejects. */
  drain(): Promise<void>;
  /** Whether the sink is a terminal (FORCE_COLOR does not change this; see `Terminal`). */
  readonly isTerminal: boolean;
  /** Terminal width in columns, when known. */
  columns(): number | undefined;
}

/**
 * A sink that knows whether the bytes it was last given ended a line: a log written after a
 * command's output must not join its last, unterminated line.
 */
export class LineEndSink implements Sink {
  #atLineStart = true;

  constructor(private readonly inner: Sink) {}

  get isTerminal(): boolean {
    return this.inner.isTerminal;
  }

  columns(): number | undefined {
    return this.inner.columns();
  }

  write(data: Uint8Array | string): Promise<void> {
    if (data.length > 0) {
      const last = typeof data === "string" ? data.charCodeAt(data.length - 1) : data.at(-1);
      this.#atLineStart = last === 10;
    }
    return this.inner.write(data);
  }

  drain(): Promise<void> {
    return this.inner.drain();
  }

  /** Ends the line the last write left open, if it did. */
  async endLine(): Promise<void> {
    if (!this.#atLineStart) await this.write("\n");
  }
}

/** Where stdin bytes come from. */
export interface Source {
  readonly isTerminal: boolean;
  /** True when there is surely nothing to read (/dev/null, an empty file): no read is started. */
  knownEmpty?(): boolean;
  /** The byte stream; reading it consumes stdin. */
  readable(): ReadableStream<Uint8Array>;
  /** Switches a terminal to raw mode (no echo), for hidden prompts. */
  setRaw?(raw: boolean): void;
}

export function toBytes(data: Uint8Array | string): Uint8Array {
  return typeof data === "string" ? encoder.encode(data) : data;
}

/** A Sink over a writer with partial-write semantics (Deno.stdout, Deno.stderr, files). */
export class WriterSink implements Sink {
  #tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly writer: { write(p: Uint8Array): Promise<number> },
    readonly isTerminal: boolean,
    private readonly size: () => number | undefined = () => undefined,
  ) {}

  write(data: Uint8Array | string): Promise<void> {
    const bytes = toBytes(data);
    const next = this.#tail.then(() => writeAll(this.writer, bytes));
    // Keep the chain alive after a failure; the caller of this write sees the rejection.
    this.#tail = next.catch(() => {});
    return next;
  }

  drain(): Promise<void> {
    return this.#tail;
  }

  columns(): number | undefined {
    return this.size();
  }
}

/** Bytes a live stream may hold while a write is in flight before the reader waits. */
const MAX_QUEUED_BYTES = 1024 * 1024;

/**
 * Hands bytes to a sink without waiting for each write: the first write starts at once, and
 * while it is in flight later bytes are gathered and written together after it. An idle stream
 * is written at once; a fast one in few large writes (one per event would cost a syscall each).
 * Bytes (and text, encoded as UTF-8 straight into place) are gathered in two buffers used in
 * turn — one filling while the other is being written — so a long stream allocates nothing per
 * write. A failed write (a broken pipe) is thrown by the next `write` or by `drain`.
 */
export class CoalescingWriter {
  #filling?: Uint8Array;
  #spare?: Uint8Array;
  #filled = 0;
  #inFlight?: Promise<void>;
  #failure?: { error: unknown };

  constructor(private readonly sink: Sink) {}

  /** Hands `data` over; resolves to its length in bytes (text: its UTF-8, as encoded here). */
  async write(data: Uint8Array | string): Promise<number> {
    this.#throwIfFailed();
    // Text takes at most three bytes per UTF-16 unit.
    const bound = typeof data === "string" ? data.length * 3 : data.length;
    if (bound === 0) return 0;
    // Wait while the data may not fit beside what is gathered.
    while (this.#inFlight && this.#filled + bound > MAX_QUEUED_BYTES) {
      await this.#inFlight;
      this.#throwIfFailed();
    }
    if (bound > MAX_QUEUED_BYTES) {
      // Too large to gather (nothing is in flight now): written on its own.
      const bytes = toBytes(data);
      this.#inFlight = this.#pump(bytes);
      return bytes.length;
    }
    const filling = this.#filling ??= new Uint8Array(MAX_QUEUED_BYTES);
    let length = data.length;
    if (typeof data === "string") {
      length = encoder.encodeInto(data, filling.subarray(this.#filled)).written;
    } else {
      filling.set(data, this.#filled);
    }
    this.#filled += length;
    this.#inFlight ??= this.#pump();
    return length;
  }

  /** Resolves once everything handed over is written; throws a write's failure. */
  async drain(): Promise<void> {
    while (this.#inFlight) await this.#inFlight;
    this.#throwIfFailed();
  }

  async #pump(alone?: Uint8Array): Promise<void> {
    try {
      if (alone) await this.sink.write(alone);
      while (this.#filled > 0) {
        const data = this.#filling!.subarray(0, this.#filled);
        // New data gathers in the other buffer while this one is written.
        [this.#filling, this.#spare] = [this.#spare, this.#filling];
        this.#filled = 0;
        await this.sink.write(data);
      }
    } catch (error) {
      this.#failure = { error };
      this.#filled = 0;
    } finally {
      this.#inFlight = undefined;
    }
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }
}

/** Text gathered before it is handed on: many small pieces make one write of their UTF-8. */
const GATHERED_UNITS = 64 * 1024;

/**
 * Output made of many small texts (a formatter's rows and cells): gathered as one string until
 * 64 Ki code units, then handed to a CoalescingWriter. `flush` writes everything out.
 */
export class GatheredWriter {
  #pending = "";
  readonly #out: CoalescingWriter;

  constructor(sink: Sink) {
    this.#out = new CoalescingWriter(sink);
  }

  async add(text: string): Promise<void> {
    this.#pending += text;
    if (this.#pending.length >= GATHERED_UNITS) await this.#handOn();
  }

  /** Resolves once everything added is written; throws a write's failure. */
  async flush(): Promise<void> {
    await this.#handOn();
    await this.#out.drain();
  }

  async #handOn(): Promise<void> {
    const text = this.#pending;
    this.#pending = "";
    if (text) await this.#out.write(text);
  }
}

/** An in-memory Sink, for tests and for capturing output. */
export class MemorySink implements Sink {
  readonly chunks: Uint8Array[] = [];

  constructor(readonly isTerminal = false, private readonly width?: number) {}

  write(data: Uint8Array | string): Promise<void> {
    this.chunks.push(toBytes(data).slice());
    return Promise.resolve();
  }

  drain(): Promise<void> {
    return Promise.resolve();
  }

  columns(): number | undefined {
    return this.width;
  }

  bytes(): Uint8Array {
    return concatBytes(this.chunks);
  }

  text(): string {
    return new TextDecoder().decode(this.bytes());
  }
}

/** A Source over fixed bytes (tests) or nothing at all. */
export class MemorySource implements Source {
  constructor(private readonly data?: Uint8Array | string, readonly isTerminal = false) {}

  readable(): ReadableStream<Uint8Array> {
    const data = this.data;
    return new ReadableStream({
      start(controller) {
        if (data !== undefined && data.length > 0) controller.enqueue(toBytes(data));
        controller.close();
      },
    });
  }
}

/**
 * The terminal's width: `COLUMNS` when set (as Python's shutil.get_terminal_size reads it),
 * else the console's.
 */
function consoleColumns(): number | undefined {
  const fromEnv = Number(Deno.env.get("COLUMNS"));
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  try {
    return Deno.consoleSize().columns;
  } catch {
    return undefined;
  }
}

/**
 * Whether the file at `path` (stdin's, by default) is /dev/null or an empty regular file. A read
 * would say so too, but reading stdin starts Deno's blocking-read thread: ~5 ms of CPU and ~3 ms
 * of every `run` whose stdin is /dev/null (agents, CI jobs, benchmarks).
 */
export function knownEmpty(path = "/dev/stdin"): boolean {
  try {
    const file = Deno.statSync(path);
    if (file.isFile) return file.size === 0;
    const nothing = Deno.statSync("/dev/null");
    return file.isCharDevice === true && file.dev === nothing.dev && file.ino === nothing.ino;
  } catch {
    return false; // no such path here (Windows), or stdin is closed: the read decides
  }
}

/** The process's real stdio. */
export function processStdio(): { stdout: Sink; stderr: Sink; stdin: Source } {
  const stdoutTty = Deno.stdout.isTerminal();
  const stderrTty = Deno.stderr.isTerminal();
  return {
    stdout: new WriterSink(Deno.stdout, stdoutTty, consoleColumns),
    stderr: new WriterSink(Deno.stderr, stderrTty, consoleColumns),
    stdin: {
      isTerminal: Deno.stdin.isTerminal(),
      knownEmpty: () => knownEmpty(),
      readable: () => Deno.stdin.readable,
      setRaw: (raw) => Deno.stdin.setRaw(raw),
    },
  };
}

// Byte sinks and sources for stdout/stderr/stdin. Commands never touch Deno.stdout directly:
// they write through a Sink so tests can capture output and so writes are serialised.

import { concatBytes, writeAll } from "./bytes.ts";

const encoder = new TextEncoder();

/** Where bytes go. Writes are serialised in call order; each resolves once fully written. */
export interface Sink {
  /** Writes every byte, or rejects (Deno.errors.BrokenPipe when the reader went away). */
  write(data: Uint8Array | string): Promise<void>;
  /** Resolves once every write issued so far has settled. Never rejects. */
  drain(): Promise<void>;
  /** Whether the sink is a terminal (FORCE_COLOR does not change this; see `Terminal`). */
  readonly isTerminal: boolean;
  /** Terminal width in columns, when known. */
  columns(): number | undefined;
}

/** Where stdin bytes come from. */
export interface Source {
  readonly isTerminal: boolean;
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

function consoleColumns(rid: "stdout" | "stderr"): number | undefined {
  try {
    return Deno.consoleSize().columns;
  } catch {
    void rid;
    return undefined;
  }
}

/** The process's real stdio. */
export function processStdio(): { stdout: Sink; stderr: Sink; stdin: Source } {
  const stdoutTty = Deno.stdout.isTerminal();
  const stderrTty = Deno.stderr.isTerminal();
  return {
    stdout: new WriterSink(Deno.stdout, stdoutTty, () => consoleColumns("stdout")),
    stderr: new WriterSink(Deno.stderr, stderrTty, () => consoleColumns("stderr")),
    stdin: {
      isTerminal: Deno.stdin.isTerminal(),
      readable: () => Deno.stdin.readable,
      setRaw: (raw) => Deno.stdin.setRaw(raw),
    },
  };
}

// Interactive prompts: questions go to stderr, answers come from stdin (a terminal, or a pipe
// for scripted answers such as `echo y | contree auth …`).

import type { Context } from "./context.ts";
import { Interrupted } from "./errors.ts";
import type { Source } from "./io.ts";

const readers = new WeakMap<Source, ReadableStreamDefaultReader<Uint8Array>>();
const pending = new WeakMap<Source, number[]>();

function readerOf(source: Source): ReadableStreamDefaultReader<Uint8Array> {
  let reader = readers.get(source);
  if (!reader) {
    reader = source.readable().getReader();
    readers.set(source, reader);
    pending.set(source, []);
  }
  return reader;
}

/** Reads one byte from stdin, or undefined at end of input. */
async function readByte(source: Source): Promise<number | undefined> {
  const reader = readerOf(source);
  const buffer = pending.get(source)!;
  while (buffer.length === 0) {
    const { value, done } = await reader.read();
    if (done) return undefined;
    buffer.push(...value);
  }
  return buffer.shift();
}

/** Reads a line (without its newline); undefined at end of input before any byte. */
async function readLine(source: Source, hidden: boolean): Promise<string | undefined> {
  const bytes: number[] = [];
  for (;;) {
    const byte = await readByte(source);
    if (byte === undefined) {
      return bytes.length === 0 ? undefined : new TextDecoder().decode(new Uint8Array(bytes));
    }
    if (byte === 0x0a || byte === 0x0d) break;
    if (hidden && byte === 0x03) throw new Interrupted("SIGINT"); // Ctrl-C in raw mode
    if (hidden && byte === 0x04 && bytes.length === 0) return undefined; // Ctrl-D
    if (hidden && (byte === 0x7f || byte === 0x08)) {
      bytes.pop();
      continue;
    }
    bytes.push(byte);
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** Asks a question on stderr and reads the answer; `hidden` turns echo off on a terminal. */
export async function prompt(
  ctx: Context,
  question: string,
  options: { hidden?: boolean } = {},
): Promise<string | undefined> {
  await ctx.stderr.write(question);
  const raw = options.hidden && ctx.stdin.isTerminal && ctx.stdin.setRaw;
  if (raw) ctx.stdin.setRaw!(true);
  try {
    return (await readLine(ctx.stdin, !!raw))?.trim();
  } finally {
    if (raw) {
      ctx.stdin.setRaw!(false);
      await ctx.stderr.write("\n");
    }
  }
}

/** A `[y/N]` question: true only for `y`/`Y`. */
export async function confirm(ctx: Context, question: string): Promise<boolean> {
  const answer = await prompt(ctx, question);
  return answer === "y" || answer === "Y";
}

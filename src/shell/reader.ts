// Where the shell's lines come from: a terminal (node:readline: line editing, history recall,
// Tab completion, Ctrl-C and Ctrl-D) or a pipe (plain lines, no prompts).
//
// The terminal reader opens a readline interface per line and closes it when the line is read:
// while a line runs, the terminal is back in its normal mode, so Ctrl-C is a real SIGINT (the
// running line is cancelled) and an editor or a prompt of the running command owns the
// keyboard; readline holds no pending read of stdin meanwhile. What came in with the line (a
// paste, lines typed ahead while the last one ran) is kept: the interface closes once the
// chunk it read is processed, the complete lines queued, the rest typed into the next prompt.

import process from "node:process";
import { createInterface } from "node:readline";

export const INTERRUPTED = Symbol("interrupted");

export type Completer = (line: string) => Promise<[string[], string]>;

export interface LineReader {
  /** Prompts, history and completion (a terminal), or plain lines (a pipe). */
  readonly interactive: boolean;
  /**
   * The next line (without its newline); null at the end of input (Ctrl-D on an empty line);
   * INTERRUPTED for Ctrl-C. `history` is newest first.
   */
  read(prompt: string, history: readonly string[]): Promise<string | null | typeof INTERRUPTED>;
}

/** A Tab completion that takes longer (a server that does not answer) offers nothing. */
export const COMPLETION_TIMEOUT_MS = 2_000;

/** Lines per session the shell keeps (CLI spec §3.3); readline recalls as many. */
export const HISTORY_LIMIT = 10_000;

export interface ReaderOptions {
  /** Ends the reading (as the end of input) when it aborts: SIGTERM ends the shell. */
  signal?: AbortSignal;
}

type ReadResult = string | null | typeof INTERRUPTED;

export function terminalReader(
  options: ReaderOptions & { completer?: Completer; toStderr?: boolean },
): LineReader {
  /**
   * What arrived after the line a read returned: lines, Ctrl-C, the end (Ctrl-D). A line typed
   * after a Ctrl-C of the same read was echoed onto the abandoned one: it is shown again, on a
   * prompt of its own, before it runs (`echo`).
   */
  const queued: { value: ReadResult; echo?: string }[] = [];
  /** Text typed after the last complete line: the start of the next one. */
  let carried = "";
  return {
    interactive: true,
    read(prompt, history) {
      return new Promise((resolve) => {
        const output = options.toStderr ? process.stderr : process.stdout;
        if (queued.length > 0) {
          const { value, echo } = queued.shift()!; // echoed as it was typed
          if (echo !== undefined && typeof value === "string") output.write(`${echo}${value}\n`);
          return resolve(value);
        }
        if (options.signal?.aborted) return resolve(null);
        const completer = options.completer;
        const rl = createInterface({
          input: process.stdin,
          output,
          terminal: true,
          history: [...history],
          historySize: HISTORY_LIMIT,
          completer: completer &&
            ((line: string, done: (error: null, result: [string[], string]) => void) => {
              // readline drops every key while a completion is pending: one that waits on a
              // server that does not answer must not take the keyboard (Ctrl-C too) with it.
              let answered = false;
              const answer = (result: [string[], string]) => {
                if (answered) return;
                answered = true;
                clearTimeout(timer);
                done(null, result);
              };
              const timer = setTimeout(() => answer([[], line]), COMPLETION_TIMEOUT_MS);
              completer(line).then(answer, () => answer([[], line]));
            }),
        });
        measureIncrementally(rl);
        let settled = false;
        let closing = false;
        /** A Ctrl-C came in this read: what follows it was echoed onto the abandoned line. */
        let interrupted = false;
        const stop = () => finish(null);
        const close = () => {
          closing = true;
          // What was typed after the last line (or Ctrl-C) is carried: Ctrl-C or Ctrl-D
          // abandons the text before it (SIGINT below empties the line).
          carried = rl.line;
          // It is typed into the next prompt: off this row, where output is about to go.
          if (carried) output.write("\r\x1b[K");
          options.signal?.removeEventListener("abort", stop);
          rl.close();
        };
        function finish(value: ReadResult) {
          if (closing) return;
          if (settled) {
            queued.push(
              typeof value === "string" && interrupted ? { value, echo: prompt } : { value },
            );
            return;
          }
          settled = true;
          // The rest of the chunk readline is processing comes first (it runs synchronously).
          queueMicrotask(close);
          resolve(value);
        }
        options.signal?.addEventListener("abort", stop, { once: true });
        rl.on("line", (line) => finish(line));
        rl.on("SIGINT", () => {
          // The abandoned text goes: keys that came in the same read as the Ctrl-C start a new
          // line (readline keeps its line for a SIGINT listener, and they were typed onto it).
          const editor = rl as unknown as { line: string; cursor: number };
          editor.line = "";
          editor.cursor = 0;
          finish(INTERRUPTED);
          interrupted = true;
        });
        // Ctrl-Z at the prompt is ignored: readline's own suspend and resume does not recover
        // under Deno (after `fg` the terminal stayed raw and every key was lost; without job
        // control it was left cooked, and typed text joined the previous line).
        rl.on("SIGTSTP", () => {});
        rl.on("close", () => finish(null));
        rl.setPrompt(prompt);
        rl.prompt();
        if (carried) {
          rl.write(carried);
          carried = "";
        }
      });
    },
  };
}

/** readline's measure of where text ends on the screen (a private method of node:readline). */
interface DisplayMeasure {
  _getDisplayPos(text: string): { cols: number; rows: number };
  columns?: number;
}

/** ASCII that is one column wide: no tab, newline or escape. */
const ONE_COLUMN = /^[\x20-\x7e]*$/;

/**
 * readline measures the whole prompt and line on every key it inserts (1.4 ms a key at 2,500
 * characters in Deno's node:readline: a 20,000-character paste took 100 s). Text that only adds
 * one-column characters to the text last measured is measured from that: where it ended, plus
 * the characters, wrapped at the same width. Anything else is measured by readline as before.
 */
export function measureIncrementally(rl: object): void {
  const editor = rl as DisplayMeasure;
  const measure = editor._getDisplayPos;
  if (typeof measure !== "function") return;
  let last: { text: string; columns: number; cols: number; rows: number } | undefined;
  editor._getDisplayPos = function (text: string) {
    const columns = editor.columns;
    let position: { cols: number; rows: number };
    if (
      last && typeof columns === "number" && columns === last.columns &&
      text.length > last.text.length &&
      text.startsWith(last.text) && ONE_COLUMN.test(text.slice(last.text.length)) &&
      // An escape sequence cut at the end could be completed by what follows.
      !last.text.slice(-32).includes("\x1b")
    ) {
      const cols = last.cols + text.length - last.text.length;
      position = { cols: cols % columns, rows: last.rows + Math.floor(cols / columns) };
    } else position = measure.call(this, text);
    last = typeof columns === "number" ? { text, columns, ...position } : undefined;
    return position;
  };
}

/** Lines of a byte stream (a pipe or a file on stdin), without prompts. */
export function pipedReader(
  stream: ReadableStream<Uint8Array>,
  options: ReaderOptions = {},
): LineReader {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  options.signal?.addEventListener("abort", () => void reader.cancel().catch(() => {}), {
    once: true,
  });
  let buffer = "";
  let ended = false;
  return {
    interactive: false,
    async read() {
      for (;;) {
        const newline = buffer.indexOf("\n");
        if (newline >= 0) {
          const line = buffer.slice(0, newline).replace(/\r$/, "");
          buffer = buffer.slice(newline + 1);
          return line;
        }
        if (ended) {
          if (buffer === "") return null;
          const last = buffer;
          buffer = "";
          return last;
        }
        const { value, done } = options.signal?.aborted
          ? { value: undefined, done: true }
          : await reader.read().catch(() => ({ value: undefined, done: true as const }));
        if (done) ended = true;
        else buffer += value;
      }
    },
  };
}

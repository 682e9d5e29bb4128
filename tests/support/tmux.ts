// A real terminal for interactive tests: a program in a detached tmux session (120×40) on a
// private socket, driven with send-keys and read with capture-pane. Waits poll the screen
// until the expected text shows up, under an overall deadline; nothing sleeps a fixed time.

const DEADLINE_MS = 60_000;

async function tmux(socket: string, args: string[]): Promise<string> {
  const output = await new Deno.Command("tmux", {
    args: ["-L", socket, "-f", "/dev/null", ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  if (!output.success) {
    throw new Error(`tmux ${args.join(" ")}: ${decoder.decode(output.stderr).trim()}`);
  }
  return decoder.decode(output.stdout);
}

export function tmuxInstalled(): boolean {
  try {
    return new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

export class Terminal {
  private constructor(readonly socket: string) {}

  /** Starts `argv` (run directly, with exactly `env`) in a new terminal. */
  static async start(argv: string[], env: Record<string, string>): Promise<Terminal> {
    const socket = `contree-test-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
    const terminal = new Terminal(socket);
    const assignments = Object.entries(env).map(([key, value]) => `${key}=${value}`);
    await tmux(socket, [
      "new-session",
      "-d",
      "-x",
      "120",
      "-y",
      "40",
      "-s",
      "test",
      "env",
      "-i",
      ...assignments,
      // sh reports the exit status: tmux marks a pane dead at the end of its output, sometimes
      // before it has reaped the program (and then never says its status). The trap keeps sh
      // alive through a Ctrl-C meant for the program (which gets the default disposition).
      "sh",
      "-c",
      'trap : INT; "$@"; echo "[exited with $?]"',
      "sh",
      ...argv,
    ]);
    // Keep the pane (and its exit status) after the program ends.
    await tmux(socket, ["set-option", "-t", "test", "remain-on-exit", "on"]);
    return terminal;
  }

  /** Keys as tmux names them (`Enter`, `Tab`, `C-c`, `Up`) or literal text with `text`. */
  async keys(...keys: string[]): Promise<void> {
    await tmux(this.socket, ["send-keys", "-t", "test", ...keys]);
  }

  async type(text: string): Promise<void> {
    await tmux(this.socket, ["send-keys", "-t", "test", "-l", text]);
  }

  /** `text` as a paste: all of it at once, its newlines sent as Enter (tmux's paste-buffer). */
  async paste(text: string): Promise<void> {
    const file = await Deno.makeTempFile({ prefix: "contree-paste-" });
    try {
      await Deno.writeTextFile(file, text);
      await tmux(this.socket, ["load-buffer", "-b", "paste", file]);
      await tmux(this.socket, ["paste-buffer", "-d", "-b", "paste", "-t", "test"]);
    } finally {
      await Deno.remove(file);
    }
  }

  /** The screen and the scrollback, wrapped lines joined, trailing blank lines dropped. */
  async screen(): Promise<string> {
    const text = await tmux(this.socket, ["capture-pane", "-p", "-J", "-S", "-", "-t", "test"]);
    return text.replace(/\s+$/, "");
  }

  /** Polls the screen until `expected` matches it; returns the screen then. */
  async waitFor(
    expected: string | RegExp | ((screen: string) => boolean | Promise<boolean>),
    what = String(expected),
  ): Promise<string> {
    const matches = typeof expected === "string"
      ? (s: string) => s.includes(expected)
      : expected instanceof RegExp
      ? (s: string) => expected.test(s)
      : expected;
    const deadline = performance.now() + DEADLINE_MS;
    let screen = "";
    for (;;) {
      screen = await this.screen();
      if (await matches(screen)) return screen;
      if (performance.now() > deadline) {
        throw new Error(`the terminal never showed ${what}; it shows:\n${screen}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The visible screen with its colours, as escape sequences. */
  async colouredScreen(): Promise<string> {
    return await tmux(this.socket, ["capture-pane", "-p", "-e", "-t", "test"]);
  }

  /** The text of the cursor's line before the cursor (trailing spaces kept). */
  async beforeCursor(): Promise<string> {
    const [x, y] = (await tmux(this.socket, [
      "display-message",
      "-p",
      "-t",
      "test",
      "#{cursor_x} #{cursor_y}",
    ])).trim().split(" ").map(Number);
    const lines = (await tmux(this.socket, ["capture-pane", "-p", "-N", "-t", "test"])).split("\n");
    return (lines[y] ?? "").slice(0, x);
  }

  /** Polls until the cursor's line reads `text` up to the cursor (a prompt, a completed word). */
  async waitForInput(text: string): Promise<string> {
    await this.waitFor(async () => (await this.beforeCursor()) === text, JSON.stringify(text));
    return await this.screen();
  }

  /** Waits for the program to end; its exit status. */
  async exited(): Promise<number> {
    const screen = await this.waitFor(/^\[exited with \d+\]$/m, "the program's end");
    return Number(/^\[exited with (\d+)\]$/m.exec(screen)![1]);
  }

  /** Ends the tmux server of this terminal (and the program, if it still runs). */
  async close(): Promise<void> {
    await tmux(this.socket, ["kill-server"]).catch(() => {});
  }
}

// The CLI's entry: `contree -v` is answered at once; every other command line goes through the
// command tree, whose modules (the parser and every noun's registrar, ~10 ms to evaluate) are
// imported only then. Nothing below this function prints errors or exits.

import type { Context } from "../context.ts";
import { ExitCode } from "../errors.ts";
import { userAgent, VERSION_FLAGS } from "../version.ts";

/** Runs contree with `args` (without the program name) and returns the exit code. */
export async function main(args: string[], ctx: Context): Promise<number> {
  if (args.length === 1 && VERSION_FLAGS.has(args[0])) {
    // What the tree prints for it too (tests/cli/basics_test.ts compares the two), and, as
    // there, a reader that went away (`contree -v | true`) is not an error.
    await ctx.stdout.write(`${userAgent()}\n`).catch(() => {});
    await ctx.stdout.drain().catch(() => {});
    return ExitCode.OK;
  }
  const { runCommandLine } = await import("./command_line.ts");
  return await runCommandLine(args, ctx, main);
}

// `contree file` (alias `f`): stage files for the next run; list uploaded files.

import { positiveInt } from "./parse.ts";
import type { RootCommand, Runner } from "./root.ts";
import { sessionHandler } from "./wiring.ts";

/** The bodies, loaded when a file command runs. */
const bodies = () => import("../session/file_cmd.ts");

export function registerFile(program: RootCommand, run: Runner): void {
  const file = program
    .command("file")
    .alias("f")
    .description("stage files for the next run (edit, cp) and list uploaded files (ls)");

  file
    .command("edit")
    .alias("e")
    .description("edit a file of the session image locally and stage the result")
    .argument("<path>", "path inside the sandbox (relative to the session cwd)")
    .option("-E, --editor <cmd>", "editor command (default: $EDITOR, [cli] editor, vim, nano, vi)")
    .action((path, options) =>
      run(sessionHandler(async (deps) => (await bodies()).fileEdit(deps, path, options.editor)))
    );

  file
    .command("cp")
    .description("upload a host file and stage it at DEST for the next run")
    .argument("<src>", "host file")
    .argument("<dest>", "path inside the sandbox (relative to the session cwd)")
    .action((src, dest) =>
      run(sessionHandler(async (deps) => (await bodies()).fileCopy(deps, src, dest)))
    );

  file
    .command("ls")
    .alias("list")
    .description("list files uploaded to the server (with their local source, when known)")
    .option("--since <when>", "uploaded after: a date, HH:MM, or an interval ago (1h30m, 2d)")
    .option("--until <when>", "uploaded before (same syntax as --since)")
    .option("--limit <n>", "show at most N files", positiveInt, 1000)
    .option("-q, --quiet", "only uuid, sha256 and source")
    .action((options) =>
      run(sessionHandler(async (deps) =>
        (await bodies()).fileList(deps, {
          since: options.since,
          until: options.until,
          limit: options.limit,
          quiet: options.quiet === true,
        })
      ))
    );
}

// Whole-file writes that a crash can never leave half done.

import { ContreeError } from "./errors.ts";

/** Writes `text` to a temp file beside `path` (with `mode`, when given), then renames it over `path`. */
export async function writeFileAtomic(
  path: string,
  text: string,
  options: { mode?: number } = {},
): Promise<void> {
  const temp = `${path}.${Deno.pid}.tmp`;
  try {
    await Deno.writeTextFile(temp, text, options.mode === undefined ? {} : { mode: options.mode });
    // The mode given at creation is filtered by the umask; credentials need it exact.
    if (options.mode !== undefined && Deno.build.os !== "windows") {
      await Deno.chmod(temp, options.mode);
    }
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw new ContreeError(`Cannot write ${path}: ${(error as Error).message}`);
  }
}

/** A credentials file: mode 0600 in a directory created 0700, written atomically. */
export async function writePrivateFile(path: string, text: string): Promise<void> {
  const dir = path.slice(0, Math.max(path.lastIndexOf("/"), 0)) || ".";
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, text, { mode: 0o600 });
}

// Reading tar archives for `build`: the inspect API's archives (COPY --from) and local archives
// that ADD extracts. Members are streamed to numbered files in a scratch directory — never to
// paths taken from the archive, so a hostile member name cannot write outside it — and member
// names are normalised and refused when they climb above the archive root.

import { readTar } from "../tar/read.ts";
import type { ArchiveKind } from "../tar/sniff.ts";
import { ContreeError } from "../errors.ts";
import { writeAll } from "../bytes.ts";
import { archiveMemberParts } from "../sandbox_path.ts";

export type MemberType = "file" | "directory" | "symlink" | "other";

export interface UnpackedMember {
  /** Normalised relative name (`etc/hosts`; "" for the archive root itself). */
  name: string;
  type: MemberType;
  /** Permission bits (07777). */
  mode: number;
  uid: number;
  gid: number;
  /** Where the content of a regular file (or hard link) was written. */
  hostPath?: string;
  size: number;
  /** Symlink target. */
  linkname?: string;
}

/**
 * A member name relative to the archive root (the policy of src/sandbox_path.ts); undefined when
 * refused. A leading `/` is dropped first, as Docker's ADD and GNU tar do: `/opt/x` lands at
 * `DEST/opt/x`, which cannot escape (`cp` refuses such names: no server archive has them).
 */
function memberName(name: string): string | undefined {
  const parts = archiveMemberParts(name.replace(/^\/+/, ""));
  return typeof parts === "string" ? undefined : parts.join("/");
}

/**
 * Extracts a tar stream into `scratchDir` (which must exist) and lists its members in archive
 * order. Hard links become files sharing their target's content.
 */
export async function unpackArchive(
  stream: ReadableStream<Uint8Array>,
  scratchDir: string,
  shown: string,
): Promise<UnpackedMember[]> {
  const members: UnpackedMember[] = [];
  const files = new Map<string, UnpackedMember>();
  try {
    for await (const { entry, data } of readTar(stream)) {
      const name = memberName(entry.name);
      if (name === undefined) {
        throw new ContreeError(`${shown}: archive member '${entry.name}' escapes the archive`);
      }
      const base = { name, mode: entry.mode & 0o7777, uid: entry.uid, gid: entry.gid, size: 0 };
      if (entry.type === "file") {
        const hostPath = `${scratchDir}/m${members.length}`;
        const file = await Deno.open(hostPath, { write: true, createNew: true, mode: 0o600 });
        let size = 0;
        try {
          for await (const chunk of data) {
            size += chunk.length;
            await writeAll(file, chunk);
          }
        } finally {
          file.close();
        }
        const member: UnpackedMember = { ...base, type: "file", hostPath, size };
        files.set(name, member);
        members.push(member);
      } else if (entry.type === "hardlink") {
        const target = files.get(memberName(entry.linkname) ?? "");
        members.push(
          target
            ? { ...base, type: "file", hostPath: target.hostPath, size: target.size }
            : { ...base, type: "other" },
        );
      } else if (entry.type === "directory") {
        members.push({ ...base, type: "directory" });
      } else if (entry.type === "symlink") {
        members.push({ ...base, type: "symlink", linkname: entry.linkname });
      } else {
        members.push({ ...base, type: "other" });
      }
    }
  } catch (error) {
    if (error instanceof ContreeError) throw error;
    throw new ContreeError(`${shown}: cannot read the archive: ${(error as Error).message}`, 1, {
      cause: error,
    });
  }
  return members;
}

/** The content stream of a local archive of `kind` "tar" or "gzip". */
export async function archiveStream(
  path: string,
  kind: ArchiveKind,
): Promise<ReadableStream<Uint8Array>> {
  const stream = (await Deno.open(path, { read: true })).readable;
  return kind === "gzip" ? stream.pipeThrough(new DecompressionStream("gzip")) : stream;
}

// What a local file is, by its first bytes: a tar (plain or gzip'd, the header's checksum
// checked), another compression podman and ADD know of, or none of them. Used by build's ADD and
// by the local server's file:// import.

export type ArchiveKind = "tar" | "gzip" | "bzip2" | "xz" | "zstd" | "none";

/** Whether a 512-byte block is a tar header (its checksum adds up). */
function isTarHeader(block: Uint8Array): boolean {
  if (block.length < 512) return false;
  const field = new TextDecoder().decode(block.subarray(148, 156)).replace(/[\0 ]+$/, "").trim();
  if (!/^[0-7]+$/.test(field)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i];
  return sum === Number.parseInt(field, 8);
}

async function readHead(stream: ReadableStream<Uint8Array>, bytes: number): Promise<Uint8Array> {
  const reader = stream.getReader();
  const head = new Uint8Array(bytes);
  let filled = 0;
  try {
    while (filled < bytes) {
      const { value, done } = await reader.read();
      if (done) break;
      const take = Math.min(value.length, bytes - filled);
      head.set(value.subarray(0, take), filled);
      filled += take;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return head.subarray(0, filled);
}

/** What a local file is: a tar (plain or gzip'd), another compression, or neither ("none"). */
export async function sniffArchive(path: string): Promise<ArchiveKind> {
  const file = await Deno.open(path, { read: true });
  const head = await readHead(file.readable, 512);
  if (head[0] === 0x1f && head[1] === 0x8b) {
    const inflated = (await Deno.open(path, { read: true })).readable
      .pipeThrough(new DecompressionStream("gzip"));
    try {
      return isTarHeader(await readHead(inflated, 512)) ? "gzip" : "none";
    } catch {
      return "none"; // not really gzip: an ordinary file
    }
  }
  const text = new TextDecoder("latin1").decode(head.subarray(0, 6));
  if (text.startsWith("BZh")) return "bzip2";
  if (text === "\xfd7zXZ\0") return "xz";
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return "zstd";
  return isTarHeader(head) ? "tar" : "none";
}

// `contree ls [PATH]` (CLI spec §8.7): the default format prints the server's `ls -l`-like text
// (never cached); other formats print one row per entry from the JSON listing, cached per
// (image, `list:<path>`) since images never change.

import type { RequestOptions } from "../api/client.ts";
import { NetworkError } from "../api/errors.ts";
import type { DirectoryList, FileItem } from "../api/models.ts";
import type { Row } from "../output/formatter.ts";
import { TERMINAL_CONTROL } from "../log.ts";
import type { InspectDeps } from "./deps.ts";
import type { ImageCache } from "../cache.ts";
import { bodyChunks } from "./download.ts";
import { concatBytes } from "../bytes.ts";
import { ContreeError } from "../errors.ts";
import { loadJsonStreamParser } from "../deps.ts";

export interface LsOptions {
  path?: string;
  image?: string;
}

/** `d` directory, `l` symbolic link, `-` anything else. */
export function fileType(file: Partial<FileItem>): string {
  if (file.is_dir) return "d";
  if (file.is_symlink) return "l";
  return "-";
}

/** A listing row: the server's fields, owner/group falling back to uid/gid, `type` last. */
export function fileRow(file: Partial<FileItem>): Row {
  const row: Row = { ...file };
  const blank = (value: unknown) => value === undefined || value === null || value === "";
  if (blank(row.owner)) row.owner = file.uid ?? "";
  if (blank(row.group)) row.group = file.gid ?? "";
  delete row.type;
  row.type = fileType(file);
  return row;
}

/** The cache entry of a directory's JSON listing (images never change). */
function listingKind(path: string): string {
  return `list:${path}`;
}

/** A directory's listing from the cache, if it holds one. */
async function cachedListing(
  cache: ImageCache,
  image: string,
  path: string,
): Promise<DirectoryList | undefined> {
  const cached = await cache.get<DirectoryList>(image, listingKind(path));
  return cached && Array.isArray(cached.files) ? cached : undefined;
}

/** The JSON listing of a directory, from the cache or the server (then cached). */
async function directoryListing(
  deps: Pick<InspectDeps, "client" | "cache">,
  image: string,
  path: string,
  options: RequestOptions = {},
): Promise<DirectoryList> {
  const cache = await deps.cache();
  const cached = await cachedListing(cache, image, path);
  if (cached) return cached;
  const listing = await deps.client.listDirectory(image, path, options);
  await cache.set(image, listingKind(path), listing);
  return listing;
}

/** A file's size from its directory's listing; undefined when the listing does not say. */
export async function listedSize(
  deps: Pick<InspectDeps, "client" | "cache">,
  image: string,
  path: string,
  options: RequestOptions = {},
): Promise<number | undefined> {
  const at = path.lastIndexOf("/");
  const listing = await directoryListing(deps, image, path.slice(0, at) || "/", options);
  const size = listing.files?.find((file) => file.path === path.slice(at + 1))?.size;
  return typeof size === "number" ? size : undefined;
}

/**
 * A download whose end nothing checked — no Content-Length, no gzip trailer: a body that ends
 * when the connection closes (an HTTP/1.0 proxy) — is held against the listed size.
 */
export async function requireWholeDownload(
  deps: Pick<InspectDeps, "client" | "cache">,
  response: Response,
  image: string,
  path: string,
  received: number,
): Promise<void> {
  const framed = response.headers.has("content-length") ||
    (response.headers.get("content-encoding") ?? "identity") !== "identity";
  if (framed) return;
  // Without a listing there is nothing to hold it against: as before, it is taken as it came.
  const size = await listedSize(deps, image, path).catch(() => undefined);
  if (size !== undefined && size !== received) {
    throw new NetworkError(`the download broke: ${received} of ${size} bytes of ${path} arrived`);
  }
}

/**
 * The server's listing text as it arrives. A file name must not drive the terminal (retitle it,
 * move the cursor, hide lines): there each control character prints as `?`, as GNU ls -q does.
 * A pipe gets the names' bytes as they are. The last line is ended if the server did not.
 */
async function printListingText(deps: InspectDeps, response: Response): Promise<void> {
  const { stdout } = deps.ctx;
  const decoder = stdout.isTerminal ? new TextDecoder() : undefined;
  let last: number | undefined;
  for await (const chunk of bodyChunks(response, deps.ctx.signal, "listing")) {
    if (chunk.length === 0) continue;
    last = chunk[chunk.length - 1];
    await stdout.write(
      decoder ? decoder.decode(chunk, { stream: true }).replace(TERMINAL_CONTROL, "?") : chunk,
    );
  }
  const rest = decoder?.decode() ?? "";
  if (rest) await stdout.write(rest.replace(TERMINAL_CONTROL, "?"));
  if (last !== undefined && last !== 0x0a) await stdout.write("\n");
}

export async function lsCommand(deps: InspectDeps, options: LsOptions): Promise<number> {
  const { image, path } = await deps.locate(options.path, options.image);
  if (deps.format === "default") {
    await printListingText(deps, await deps.client.listDirectoryBody(image, path, true));
    return 0;
  }
  const out = deps.output({ tail: ["type"] });
  for await (const files of listingPages(deps, image, path)) {
    await out.writeRows(files.map(fileRow));
    await out.flush();
  }
  return 0;
}

/** JSON of a listing parsed whole and cached; past it, parsed as it arrives and not kept. */
const WHOLE_LISTING_BYTES = 16 << 20;
/** Entries per page of a listing parsed as it arrives (a table's widths come from the first). */
const LISTING_PAGE = 1000;

/**
 * The entries of a directory in pages: from the cache, or from the server — a listing of up to
 * 16 MiB of JSON (some 90,000 entries) parsed whole and cached, as `directoryListing` does; a
 * larger one parsed as it arrives (a tenth of JSON.parse's speed, in bounded memory).
 * `onPath` hears the directory the listing says it lists (a link's target), when it says so.
 */
export async function* listingPages(
  deps: Pick<InspectDeps, "client" | "cache" | "ctx">,
  image: string,
  path: string,
  onPath: (listed: string) => void = () => {},
): AsyncGenerator<Partial<FileItem>[]> {
  const cache = await deps.cache();
  const cached = await cachedListing(cache, image, path);
  if (cached) {
    if (cached.path) onPath(cached.path);
    yield cached.files;
    return;
  }
  const response = await deps.client.listDirectoryBody(image, path);
  const chunks = bodyChunks(response, deps.ctx.signal, "listing");
  const held: Uint8Array[] = [];
  let size = 0;
  let next = await chunks.next();
  for (; !next.done && size <= WHOLE_LISTING_BYTES; next = await chunks.next()) {
    held.push(next.value);
    size += next.value.length;
  }
  if (next.done) {
    const listing = parseListing(new TextDecoder().decode(concatBytes(held)), path);
    if (size <= WHOLE_LISTING_BYTES) await cache.set(image, listingKind(path), listing);
    onPath(listing.path);
    yield listing.files;
    return;
  }
  const { JSONParser } = await loadJsonStreamParser();
  const parser = new JSONParser({ paths: ["$.path", "$.files.*"], keepStack: false });
  let page: Partial<FileItem>[] = [];
  parser.onValue = ({ value, stack }) => {
    if (stack.length > 1) page.push(value as Partial<FileItem>);
    else if (typeof value === "string") onPath(value);
  };
  const parse = (step: () => void) => {
    try {
      step();
    } catch (error) {
      throw notAListing(path, error);
    }
  };
  async function* fed(chunk: Uint8Array): AsyncGenerator<Partial<FileItem>[]> {
    parse(() => parser.write(chunk));
    if (page.length >= LISTING_PAGE) {
      yield page;
      page = [];
    }
  }
  try {
    for (const chunk of [...held.splice(0), next.value]) yield* fed(chunk);
    for await (const chunk of chunks) yield* fed(chunk);
    if (!parser.isEnded) parse(() => parser.end());
  } finally {
    await chunks.return(undefined);
  }
  if (page.length > 0) yield page;
}

function notAListing(path: string, error: unknown): ContreeError {
  return new ContreeError(
    `ls: the server's listing of ${path} is not valid JSON (${(error as Error).message})`,
  );
}

/** A listing parsed whole: an object whose `files` is an array (else the listing is empty). */
function parseListing(text: string, path: string): DirectoryList {
  let listing: Partial<DirectoryList>;
  try {
    listing = JSON.parse(text);
  } catch (error) {
    throw notAListing(path, error);
  }
  return { path: listing?.path ?? path, files: Array.isArray(listing?.files) ? listing.files : [] };
}

// Offset pagination (API spec §1.9, CLI spec §4.5): the first page alone, then pages fetched
// concurrently, yielded in offset order, stopping at the first short page. Unlike the reference, pages already in
// flight when the end is found are dropped, not yielded (a server that ignores `offset`
// would otherwise produce duplicates).

export const MAX_PAGE_SIZE = 1000;
const UNBOUNDED_MAX_PAGES = 1000;

export interface PaginateOptions {
  /** How many records the caller wants; one extra is fetched to tell "more available". */
  limit?: number;
  /** Page size when no limit is given (and the cap when one is). */
  pageSize?: number;
  /** Requests in flight at once (CONTREE_CONCURRENCY, default 8). */
  concurrency?: number;
}

export function pagePlan(options: PaginateOptions): { pageSize: number; maxPages: number } {
  const cap = Math.min(options.pageSize ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE);
  if (options.limit === undefined) return { pageSize: cap, maxPages: UNBOUNDED_MAX_PAGES };
  const pageSize = Math.max(1, Math.min(cap, options.limit + 1));
  // The pages that hold limit + 1 records (the reference's `(limit + size) // size + 1` asks
  // for one or two more, which the caller never reads).
  return { pageSize, maxPages: Math.ceil((options.limit + 1) / pageSize) };
}

/**
 * Yields pages in order. Breaking out of the loop stops launching new requests; results of
 * requests still in flight are discarded (their errors too).
 */
export async function* paginate<T>(
  fetchPage: (offset: number, limit: number) => Promise<T[]>,
  options: PaginateOptions = {},
): AsyncGenerator<T[]> {
  const { pageSize, maxPages } = pagePlan(options);
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const inFlight: Promise<T[]>[] = [];
  let next = 0;
  const launch = (width: number) => {
    while (inFlight.length < width && next < maxPages) {
      const page = fetchPage(next * pageSize, pageSize);
      page.catch(() => {}); // observed below, or abandoned after the end was found
      inFlight.push(page);
      next++;
    }
  };
  // One request first: most listings fit in a page. Only a full page fans out.
  launch(1);
  while (inFlight.length > 0) {
    const page = await inFlight.shift()!;
    if (page.length > 0) yield page;
    if (page.length < pageSize) return;
    launch(concurrency);
  }
}

export const DEFAULT_CONCURRENCY = 8;

/** CONTREE_CONCURRENCY as a positive integer; undefined when it is not one. */
export function concurrencyFrom(value: string): number | undefined {
  return /^\s*[1-9]\d*\s*$/.test(value) ? Number(value) : undefined;
}

// Bounded concurrency: `width` workers over a list, results in input order.

/**
 * Maps `items` through `fn` with at most `width` calls in flight. Results keep the input order.
 * After a failure no new item is started; the first error is thrown once the others settle.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  width: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < items.length && !failed) {
      const index = next++;
      try {
        results[index] = await fn(items[index], index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, items.length)) }, worker));
  return results;
}

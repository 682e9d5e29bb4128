// A small deterministic PRNG, so tests and benchmarks see the same "random" data every run.

/** mulberry32: a seeded generator of floats in [0, 1). */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `length` characters drawn from `alphabet` by a generator seeded with `seed`. */
export function randomText(
  seed: number,
  length: number,
  alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
): string {
  const random = prng(seed);
  return Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
}

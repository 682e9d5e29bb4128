// The persistent cache commands share: the session database's `image_cache` table (CLI spec
// §3.5), values under (image, kind). Images are immutable, so entries about an image never go
// stale; values that belong to no image use the image "" (e.g. the upload cache).

export interface ImageCache {
  get<T = unknown>(image: string, kind: string): Promise<T | undefined>;
  set(image: string, kind: string, value: unknown): Promise<void>;
}

/** For a command that runs without the session store: nothing kept, nothing found. */
export const NO_CACHE: ImageCache = {
  get: () => Promise.resolve(undefined),
  set: () => Promise.resolve(),
};

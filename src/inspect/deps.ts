// What the inspection commands (ls, cat, cp) need, as narrow ports: the API client, the output,
// the immutable-result cache of the session store, and where a path points.

import type { ContreeClient } from "../api/client.ts";
import type { ImageCache } from "../cache.ts";
import type { Context } from "../context.ts";
import type { ColumnOrder, FormatName, Formatter } from "../output/formatter.ts";

/** An image and an absolute path inside it. */
export interface Location {
  image: string;
  path: string;
}

export interface InspectDeps {
  ctx: Context;
  client: ContreeClient;
  format: FormatName;
  output(order?: ColumnOrder): Formatter;
  cache(): Promise<ImageCache>;
  /**
   * `path` resolved against the session cwd (default: the cwd), in `image` (a reference) or, by
   * default, the session's current image (NoActiveSession without one).
   */
  locate(path: string | undefined, image?: string): Promise<Location>;
}

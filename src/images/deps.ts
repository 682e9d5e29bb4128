// What the image commands need, as narrow ports (built from the App in src/cli/images.ts).

import type { ContreeClient } from "../api/client.ts";
import type { Context } from "../context.ts";
import type { ColumnOrder, Formatter } from "../output/formatter.ts";

export interface ImagesDeps {
  ctx: Context;
  client: ContreeClient;
  output(order?: ColumnOrder): Formatter;
  /** Parallel page fetches (CONTREE_CONCURRENCY). */
  concurrency: number;
}

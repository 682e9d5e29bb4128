// The step cache of `build`, kept in the build's own session (`build:<16 hex of sha256(absolute
// context path)>`) of the session store, as the reference does: each completed step is a branch
// `layer:<16 hex>` whose tip carries the step's result image.
//
// The key is the sha256 of canonical JSON of everything that decides a step's result: the parent
// image (images are immutable), the instruction after substitution, the state it runs with (ENV,
// ARG values, WORKDIR, USER, SHELL) and the files riding along — by file UUID, which is a content
// identity (files are deduplicated by sha256 before upload; the same UUID always means the same
// bytes). So an edited file, a different parent or a changed ENV is a miss; everything else hits.

import { SessionError } from "../session/errors.ts";
import type { SessionStore } from "../session/store.ts";
import { sha256Hex } from "../bytes.ts";

export const LAYER_PREFIX = "layer:";

/** JSON with object keys sorted at every level (the same value always gives the same text). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The first 16 hex digits of sha256(canonical JSON of `parts`). */
export async function stepKey(parts: Record<string, unknown>): Promise<string> {
  return (await sha256Hex(canonicalJson(parts))).slice(0, 16);
}

/** `build:<first 16 hex of sha256(absolute context path)>`. */
export async function buildSessionKey(absoluteContext: string): Promise<string> {
  return `build:${(await sha256Hex(absoluteContext)).slice(0, 16)}`;
}

export interface StepRecord {
  image: string;
  /** History kind: `use` (FROM) or `run` (RUN and the step that lands staged files). */
  kind: string;
  title: string;
  operation?: string;
}

/** What the step cache needs of the session store: one session's history and branches. */
export type LayerStore = Pick<
  SessionStore,
  "branchTip" | "setImage" | "deleteBranch" | "createBranch" | "setImageOnBranch"
>;

/** Layer branches of one build session. */
export class LayerCache {
  constructor(private readonly store: LayerStore, readonly sessionKey: string) {}

  /** The image a step with this key produced before, if any. */
  lookup(key: string): string | undefined {
    return this.store.branchTip(this.sessionKey, `${LAYER_PREFIX}${key}`)?.image || undefined;
  }

  /**
   * Records an executed step: an entry on the session's active branch (the build's history),
   * with branch `layer:<key>` pointed at it (`--no-cache` re-points it).
   */
  record(key: string, step: StepRecord): void {
    const name = `${LAYER_PREFIX}${key}`;
    this.store.setImage(this.sessionKey, step);
    try {
      if (this.store.branchTip(this.sessionKey, name)) {
        this.store.deleteBranch(this.sessionKey, name);
      }
      this.store.createBranch(this.sessionKey, name);
    } catch (error) {
      if (!(error instanceof SessionError)) throw error;
    }
    // A concurrent build of the same context may have moved the active branch meanwhile: the
    // layer must carry this step's image whatever happened.
    if (this.store.branchTip(this.sessionKey, name)?.image !== step.image) {
      this.store.setImageOnBranch(this.sessionKey, name, step);
    }
  }
}

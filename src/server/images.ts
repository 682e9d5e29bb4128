// ConTree images as podman images: each one is a podman image named `localhost/contree/<uuid>`
// and labelled with its ConTree UUID, the operation that made it, the tag it was created with
// and the server that owns it. The store is authoritative for tags (tags move; labels cannot).

import type { Image } from "../api/models.ts";
import { parsePodmanMessage, PodmanFailed, type PodmanRunner, runChecked } from "../podman.ts";
import { isUuid } from "../uuid.ts";
import { HttpError } from "./errors.ts";
import type { ImageRow, Store } from "./store.ts";

export const IMAGE_REPOSITORY = "localhost/contree";
export const LABEL_SERVER = "contree.server";
export const LABEL_UUID = "contree.uuid";
export const LABEL_OPERATION = "contree.op";
export const LABEL_TAG = "contree.tag";

/** Attempts of `podman image inspect` on a new image (see `#inspectNew`). */
const INSPECT_ATTEMPTS = 6;

/** The API shape of an image. */
export function imageJson(row: ImageRow): Image {
  return {
    uuid: row.uuid,
    tag: row.tag,
    created_at: row.created_at,
    operation_uuid: row.operation_uuid,
  };
}

export interface NewImage {
  uuid: string;
  operationUuid: string;
  tag: string | null;
}

export class ImageCatalog {
  constructor(
    private readonly podman: PodmanRunner,
    private readonly store: Store,
    readonly serverId: string,
    private readonly now: () => number = Date.now,
  ) {}

  podmanName(uuid: string): string {
    return `${IMAGE_REPOSITORY}/${uuid}:latest`;
  }

  /** `--change LABEL=…` arguments for a new image (they override inherited labels). */
  labelChanges(image: NewImage): string[] {
    return [
      [LABEL_SERVER, this.serverId],
      [LABEL_UUID, image.uuid],
      [LABEL_OPERATION, image.operationUuid],
      [LABEL_TAG, image.tag ?? ""],
    ].flatMap(([key, value]) => ["--change", `LABEL=${key}=${value}`]);
  }

  /**
   * Records the podman image just created under `podmanName(image.uuid)` as a ConTree image
   * (moving the tag to it when one is given).
   */
  async register(
    image: NewImage,
    env: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<ImageRow> {
    const inspected = await this.#inspectNew(this.podmanName(image.uuid), signal);
    const [podmanId, size, configEnv] = inspected.split("\t");
    const row: ImageRow = {
      uuid: image.uuid,
      tag: null,
      created_at: new Date(this.now()).toISOString(),
      operation_uuid: image.operationUuid,
      podman_id: podmanId,
      size: Number(size) || 0,
      env,
      config_env: JSON.parse(configEnv || "null") ?? [],
    };
    this.store.transaction(() => {
      this.store.insertImage(row);
      if (image.tag) this.store.setTag(row.uuid, image.tag);
    });
    return { ...row, tag: image.tag };
  }

  /**
   * Removes the podman image of a ConTree image that will not be registered (a failed or
   * cancelled snapshot or import), if podman made it; podman's message when that fails (the
   * start-up sweep removes it then).
   */
  async discard(uuid: string): Promise<string | undefined> {
    try {
      const result = await this.podman.run(["rmi", "--force", "--ignore", this.podmanName(uuid)], {
        timeoutMs: 60_000,
      });
      return result.code === 0
        ? undefined
        : parsePodmanMessage(result.stderr) || "podman rmi failed";
    } catch (error) {
      return (error as Error).message;
    }
  }

  /**
   * `podman image inspect` of an image just made. podman 4.3 reads every image while inspecting
   * one, and fails while another commit is half-written ('locating item named "manifest" …'):
   * that is retried for a moment.
   */
  async #inspectNew(reference: string, signal?: AbortSignal): Promise<string> {
    const args = ["image", "inspect", "--format", "{{.Id}}\t{{.Size}}\t{{json .Config.Env}}"];
    for (let attempt = 1;; attempt++) {
      try {
        return await runChecked(this.podman, [...args, reference], { signal });
      } catch (error) {
        const halfWritten = error instanceof PodmanFailed &&
          /locating item named "[^"]+" for image/.test(error.stderr);
        if (!halfWritten || attempt === INSPECT_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  }

  /** An image by UUID, `tag:NAME`, or bare tag; 404 when there is none. */
  resolve(reference: string): ImageRow {
    const row = isUuid(reference)
      ? this.store.image(reference.toLowerCase())
      : this.store.imageByTag(reference.startsWith("tag:") ? reference.slice(4) : reference);
    if (!row) throw new HttpError(404, `image not found: ${reference}`);
    return row;
  }
}

// `contree tag [IMAGE] TAG [-U]` (CLI spec §8.6): set or remove a tag. With one argument the
// session's current image is tagged (as is, no lookup); with two, IMAGE is a reference.

import { imageRefTag } from "../api/image_ref.ts";
import { ContreeError } from "../errors.ts";
import type { ImagesDeps } from "./deps.ts";

export const NO_SESSION_FOR_TAG = "No active session. Run `contree use IMAGE` first.";

export interface TagOptions {
  /** IMAGE, when given; otherwise the session's current image. */
  image?: string;
  tag: string;
  remove: boolean;
}

export interface TagDeps extends Pick<ImagesDeps, "ctx" | "client"> {
  /** The session's current image, if there is a session. */
  sessionImage(): Promise<string | undefined>;
  resolveImage(ref: string): Promise<string>;
}

export async function tagCommand(deps: TagDeps, options: TagOptions): Promise<number> {
  if (options.tag === "") throw new ContreeError("The tag must not be empty");
  let image: string;
  if (options.image === undefined) {
    const current = await deps.sessionImage();
    if (!current) throw new ContreeError(NO_SESSION_FOR_TAG);
    image = current;
  } else {
    image = await deps.resolveImage(options.image);
  }
  if (options.remove) {
    await deps.client.untagImage(image, options.tag);
    deps.ctx.log.info(`Removed tag '${options.tag}' from image ${image}`);
  } else {
    await deps.client.tagImage(image, options.tag);
    // An image has one tag: the one IMAGE was named by is gone now, which a Docker user would
    // not expect (`tag app:dev app:alias` adds no name).
    const before = options.image === undefined ? undefined : imageRefTag(options.image);
    const replaced = before && before !== options.tag && `${before}:latest` !== options.tag
      ? ` (no longer ${before}: an image has one tag)`
      : "";
    deps.ctx.log.info(`Tagged image ${image} as ${options.tag}${replaced}`);
  }
  return 0;
}

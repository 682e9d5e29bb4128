// What the task layer knows about podman (task-lifecycle spec §2.0): the timeouts of its calls,
// state probes, and podman's failures said plainly. Running podman itself is src/podman.ts.

import { ContreeError } from "../errors.ts";
import {
  isUnknownImage,
  PodmanFailed,
  PodmanNotFound,
  type PodmanResult,
  type PodmanRunner,
  PodmanTimeout,
} from "../podman.ts";
import { LABEL_PROJECT, LABEL_TASK } from "./state.ts";

/** Timeouts of the calls the lifecycle makes (task-lifecycle spec §2.0). */
export const PODMAN_TIMEOUTS = {
  probeMs: 30_000,
  startMs: 30_000,
  createMs: 120_000,
  removeMs: 120_000,
  logsMs: 60_000,
  /** Added to the stop grace period: podman's own teardown after the signal. */
  stopSlackMs: 75_000,
} as const;

/** How long `task wait` waits by default (seconds). */
export const DEFAULT_WAIT_TIMEOUT_SECONDS = 7200;

/**
 * One line describing a failed call: podman's last `Error:` line without the prefix, with the
 * common cases said plainly.
 */
export function describePodmanFailure(args: string[], result: PodmanResult): string {
  const failure = new PodmanFailed(args, result);
  if (/no such container|no container with name or ID/i.test(failure.podmanMessage)) {
    return "no such container";
  }
  if (isUnknownImage(failure)) {
    return `image not found locally (${failure.podmanMessage}); pull or build it first`;
  }
  return failure.message;
}

/** `podman inspect -f FORMAT` of a container, trimmed; undefined when podman says no. */
export async function inspectContainer(
  podman: PodmanRunner,
  name: string,
  format: string,
): Promise<string | undefined> {
  const result = await podman.run(["inspect", "--type", "container", "-f", format, name], {
    timeoutMs: PODMAN_TIMEOUTS.probeMs,
  });
  return result.code === 0 ? result.stdout.trim() : undefined;
}

/** The task a container was made for, from its labels: `project/task` ("/" without them). */
export async function containerTask(podman: PodmanRunner, name: string): Promise<string> {
  const label = (key: string) => `{{index .Config.Labels "${key}"}}`;
  const format = `${label(LABEL_PROJECT)}/${label(LABEL_TASK)}`;
  return await inspectContainer(podman, name, format) ?? "/";
}

/** The state probe: `podman inspect -f {{.State.Status}}`; null when there is no container. */
export async function probeState(
  podman: PodmanRunner,
  name: string,
  /** For a command that acts on the container: podman missing or stuck is said, not "absent". */
  strict = false,
): Promise<string | null> {
  try {
    const result = await podman.run([
      "inspect",
      "--type",
      "container",
      "-f",
      "{{.State.Status}}",
      name,
    ], {
      timeoutMs: PODMAN_TIMEOUTS.probeMs,
    });
    const state = result.stdout.trim().toLowerCase();
    return result.code === 0 && state !== "" ? state : null;
  } catch (error) {
    // A probe that cannot answer means "no container" (spec §2.0); the runner already said why
    // podman is unusable when it matters (batch queries, mutations).
    if (!strict && (error instanceof PodmanNotFound || error instanceof PodmanTimeout)) return null;
    throw error;
  }
}

/** Thrown when podman could not list containers: never to be read as "no containers". */
export class ContainerQueryFailed extends ContreeError {
  constructor(reason: string) {
    super(`Container runtime unavailable — cannot query container states: ${reason}`);
  }
}

/** Every container carrying `label`: name → lowercased state. Throws ContainerQueryFailed. */
export async function batchStates(
  podman: PodmanRunner,
  label: string,
): Promise<Map<string, string>> {
  const args = ["ps", "-a", "--filter", `label=${label}`, "--format", "json"];
  let result: PodmanResult;
  try {
    result = await podman.run(args, { timeoutMs: PODMAN_TIMEOUTS.probeMs });
  } catch (error) {
    throw new ContainerQueryFailed((error as Error).message);
  }
  if (result.code !== 0) throw new ContainerQueryFailed(describePodmanFailure(args, result));
  let rows: unknown;
  try {
    rows = result.stdout.trim() === "" ? [] : JSON.parse(result.stdout);
  } catch {
    throw new ContainerQueryFailed("podman ps printed something that is not JSON");
  }
  if (!Array.isArray(rows)) throw new ContainerQueryFailed("podman ps did not print a list");
  const states = new Map<string, string>();
  for (const row of rows as { Names?: unknown; State?: unknown }[]) {
    const name = Array.isArray(row?.Names) ? row.Names[0] : undefined;
    if (typeof name === "string" && typeof row.State === "string") {
      states.set(name, row.State.toLowerCase());
    }
  }
  return states;
}

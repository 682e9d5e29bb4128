// A task-layer test bench: throwaway config and state roots, a project written to disk, the
// fake podman, a fake clock and a captured logger. Real files; only podman is faked.

import { MemorySink } from "../../src/io.ts";
import { Logger } from "../../src/log.ts";
import type { TaskContext } from "../../src/tasks/context.ts";
import type { TaskRoots } from "../../src/tasks/paths.ts";
import {
  createProject,
  type NewProjectOptions,
  type ProjectConfig,
} from "../../src/tasks/project.ts";
import { FakeClock } from "./context.ts";
import { FakePodman } from "./fake_podman.ts";

export interface TaskBench {
  dir: string;
  roots: TaskRoots;
  podman: FakePodman;
  clock: FakeClock;
  logs: MemorySink;
  ctx: TaskContext;
  project: ProjectConfig;
  cleanup(): Promise<void>;
}

/** Random integers from a fixed sequence (cycled), for reproducible IDs and names. */
export function sequenceRandom(values: number[]): (n: number) => number {
  let i = 0;
  return (n) => values[i++ % values.length] % n;
}

export async function taskBench(
  project: Partial<NewProjectOptions> = {},
): Promise<TaskBench> {
  const dir = await Deno.makeTempDir({ prefix: "contree-tasks-" });
  const roots: TaskRoots = { configRoot: `${dir}/config`, stateRoot: `${dir}/state` };
  const podman = new FakePodman();
  const clock = new FakeClock();
  const logs = new MemorySink();
  const ctx: TaskContext = {
    roots,
    clock,
    podman,
    log: new Logger(logs, "debug"),
    randomInt: (n) => Math.floor(Math.random() * n),
  };
  const config = await createProject(roots, {
    name: "proj",
    image: "localhost/test:latest",
    command: "make test",
    ...project,
  });
  return {
    dir,
    roots,
    podman,
    clock,
    logs,
    ctx,
    project: config,
    cleanup: () => Deno.remove(dir, { recursive: true }).catch(() => {}),
  };
}

/** Runs `fn` with a fresh bench and removes it afterwards. */
export async function withBench(
  fn: (bench: TaskBench) => Promise<void>,
  project: Partial<NewProjectOptions> = {},
): Promise<void> {
  const bench = await taskBench(project);
  try {
    await fn(bench);
  } finally {
    await bench.cleanup();
  }
}

import {
  MODE_DISPLAY,
  modeDisplay,
  NO_MODE_DISPLAY,
  renderListLine,
  renderStatusBlock,
  STATUS_DISPLAY,
  statusDisplay,
  WORK_STATUS_DISPLAY,
} from "../../src/tasks/display.ts";
import type { TaskView } from "../../src/tasks/query.ts";
import {
  effectiveStatus,
  MODES,
  type Status,
  STATUSES,
  taskContainerName,
  type TaskState,
} from "../../src/tasks/state.ts";
import { assert, assertEquals } from "../support/assert.ts";

Deno.test("container names and modes", () => {
  assertEquals(taskContainerName("myproj", "cli", "k3v8h"), "myproj-cli-k3v8h");
  assertEquals(taskContainerName("myproj", "run", "k3v8h"), "myproj-run-k3v8h");
  assertEquals([...MODES], ["cli", "run"]);
});

Deno.test("effective status truth table (spec §4.2)", () => {
  const base: TaskState = {
    containerState: null,
    exitCode: null,
    deleting: false,
    initialized: false,
  };
  const table: [Partial<TaskState>, Status][] = [
    [{ deleting: true, containerState: "running", initialized: true }, "deleting"],
    [{ deleting: true, starting: true }, "deleting"],
    [{ containerState: "running", initialized: true }, "running"],
    [{ containerState: "running", initialized: true, exitCode: 1 }, "running"],
    [{ containerState: "running" }, "init"],
    [{ containerState: "exited", exitCode: 0 }, "completed"],
    [{ containerState: "exited", exitCode: 124 }, "failed"],
    [{ containerState: "exited", initialized: true }, "stopped"],
    [{ containerState: "paused", initialized: true }, "stopped"],
    [{ containerState: "created" }, "stopped"],
    [{ starting: true }, "starting"],
    [{}, "created"],
    [{ exitCode: 0 }, "created"],
    [{ initialized: true, exitCode: 0 }, "completed"],
    [{ initialized: true, exitCode: 2 }, "failed"],
    [{ initialized: true }, "not found"],
  ];
  for (const [patch, expected] of table) {
    assertEquals(effectiveStatus({ ...base, ...patch }), expected, JSON.stringify(patch));
  }
});

Deno.test("every status and mode has a display entry; emoji are single code points", () => {
  for (const status of STATUSES) {
    const entry = STATUS_DISPLAY[status];
    assertEquals(entry.label, status);
    assert(entry.color === "green" || entry.color === "yellow" || entry.color === "red");
  }
  const entries = [
    ...Object.values(STATUS_DISPLAY),
    ...Object.values(MODE_DISPLAY),
    ...Object.values(WORK_STATUS_DISPLAY),
    NO_MODE_DISPLAY,
  ];
  for (const entry of entries) {
    // Natively double-width emoji: one code point, no variation selector.
    assertEquals([...entry.emoji].length, 1, entry.label);
    assert(!entry.emoji.includes("\uFE0F"));
  }
  assertEquals(modeDisplay("cli").label, "CLI");
  assertEquals(modeDisplay("run").label, "Run");
  assertEquals(modeDisplay(null), NO_MODE_DISPLAY);
  assertEquals(modeDisplay("web"), NO_MODE_DISPLAY);
  assertEquals(statusDisplay("bogus"), STATUS_DISPLAY.created);
});

const VIEW: TaskView = {
  taskId: "k3v8h",
  projectName: "proj",
  name: "fix-bug",
  mode: null,
  taskDir: "/t/k3v8h",
  workspace: "/t/k3v8h/workspace-dangerous",
  createdAt: "2026-06-08T20:00:00.000+00:00",
  readyAt: null,
  exitCode: null,
  deleting: false,
  container: null,
  containerState: null,
  workStatus: null,
  workMessage: null,
  status: "created",
};

Deno.test("status block: never-run task, with and without emoji", () => {
  assertEquals(renderStatusBlock(VIEW, { color: false, emoji: false }), [
    "Task k3v8h:",
    "  Name:            fix-bug",
    "  Status:          created",
    "  Mode:            not set",
    "  Created:         2026-06-08T20:00:00.000+00:00",
    "  Workspace:       /t/k3v8h/workspace-dangerous",
  ]);
  const emoji = renderStatusBlock(VIEW, { color: false, emoji: true });
  assertEquals(emoji[2], "  Status:          \u{1F195} created");
  assertEquals(emoji[3], "  Mode:            \u{1F997} not set");
});

Deno.test("status block: running, exited with code, work status, colours", () => {
  const running: TaskView = {
    ...VIEW,
    mode: "run",
    container: "proj-run-k3v8h",
    containerState: "exited",
    exitCode: 0,
    status: "completed",
    workStatus: "testing",
    workMessage: "3 of 5 suites",
  };
  const lines = renderStatusBlock(running, { color: false, emoji: false });
  assertEquals(lines.slice(1, 9), [
    "  Name:            fix-bug",
    "  Status:          completed",
    "  Mode:            Run",
    "  Container:       proj-run-k3v8h",
    "  Container state: exited",
    "  Exit code:       0",
    "  Work status:     Testing",
    "  Work message:    3 of 5 suites",
  ]);
  const colored = renderStatusBlock(running, { color: true, emoji: false });
  assertEquals(colored[2], "  Status:          \x1b[32mcompleted\x1b[39m");
  const gone = renderStatusBlock(
    { ...running, containerState: null, status: "completed" },
    { color: true, emoji: false },
  );
  assertEquals(gone[5], "  Container state: \x1b[31mnot found\x1b[39m");
  const custom = renderStatusBlock({ ...running, workStatus: "yak-shaving" }, {
    color: false,
    emoji: true,
  });
  assert(custom.includes("  Work status:     yak-shaving"));
});

Deno.test("list lines", () => {
  assertEquals(renderListLine(VIEW, { color: false, emoji: false }), "- k3v8h: fix-bug created");
  assertEquals(
    renderListLine({ ...VIEW, name: "", deleting: true, status: "deleting" }, {
      color: false,
      emoji: false,
    }),
    "- k3v8h: (no name) deleting",
  );
  assertEquals(
    renderListLine(
      { ...VIEW, mode: "cli", exitCode: 124, workStatus: "done", status: "failed" },
      { color: false, emoji: true },
    ),
    "- k3v8h: fix-bug \u274C failed [mode=cli; exit=124; work=done]",
  );
});

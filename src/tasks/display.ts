// How tasks look on a terminal (task-lifecycle spec §2.7, §4.3–4.4): emoji, labels and colours
// live in tables here and nowhere else; every emoji goes through `renderEmoji`, which is where
// `--no-emoji` takes effect.

import { type StyleName, Styler } from "../style.ts";
import type { TaskView } from "./query.ts";
import type { Mode, Status } from "./state.ts";

export interface DisplayEntry {
  emoji: string;
  label: string;
  color?: StyleName;
}

export const STATUS_DISPLAY: Readonly<Record<Status, DisplayEntry>> = {
  running: { emoji: "\u{1F7E2}", label: "running", color: "green" },
  init: { emoji: "\u{1F7E1}", label: "init", color: "yellow" },
  starting: { emoji: "\u23F3", label: "starting", color: "yellow" },
  stopped: { emoji: "\u{1F534}", label: "stopped", color: "red" },
  completed: { emoji: "\u2705", label: "completed", color: "green" },
  failed: { emoji: "\u274C", label: "failed", color: "red" },
  created: { emoji: "\u{1F195}", label: "created", color: "yellow" },
  "not found": { emoji: "\u2753", label: "not found", color: "yellow" },
  deleting: { emoji: "\u{1F9F9}", label: "deleting", color: "yellow" },
};

export const MODE_DISPLAY: Readonly<Record<Mode, DisplayEntry>> = {
  cli: { emoji: "\u{1F4BB}", label: "CLI" },
  run: { emoji: "\u{1F680}", label: "Run" },
};
/** A task that never ran (or carries a mode this version does not know). */
export const NO_MODE_DISPLAY: DisplayEntry = { emoji: "\u{1F997}", label: "" };

/** What a task reports in agent-config/work-status.yml; unknown values are shown as they are. */
export const WORK_STATUS_DISPLAY: Readonly<Record<string, DisplayEntry>> = {
  planning: { emoji: "\u{1F4CB}", label: "Planning" },
  coding: { emoji: "\u{1F4BB}", label: "Coding" },
  testing: { emoji: "\u{1F9EA}", label: "Testing" },
  debugging: { emoji: "\u{1F41B}", label: "Debugging" },
  reviewing: { emoji: "\u{1F50D}", label: "Reviewing" },
  documenting: { emoji: "\u{1F4DD}", label: "Documenting" },
  done: { emoji: "\u2705", label: "Done" },
  blocked: { emoji: "\u{1F6A7}", label: "Blocked" },
  error: { emoji: "\u{1F6AB}", label: "Error" },
};

/** Shown for a task whose dossier (which holds the name) is gone. */
const UNNAMED = "(no name)";

export function modeDisplay(mode: string | null | undefined): DisplayEntry {
  return (mode && MODE_DISPLAY[mode as Mode]) || NO_MODE_DISPLAY;
}

/** Unknown statuses fall back to the `created` entry. */
export function statusDisplay(status: string): DisplayEntry {
  return STATUS_DISPLAY[status as Status] ?? STATUS_DISPLAY.created;
}

export interface DisplayOptions {
  color: boolean;
  emoji: boolean;
}

/** The emoji followed by a space, or nothing with `--no-emoji`. */
export function renderEmoji(entry: DisplayEntry, options: DisplayOptions): string {
  return options.emoji ? `${entry.emoji} ` : "";
}

function field(label: string, value: string): string {
  return `  ${`${label}:`.padEnd(17)}${value}`;
}

/** The `task status` block, one string per line. */
export function renderStatusBlock(task: TaskView, options: DisplayOptions): string[] {
  const styler = new Styler(options.color);
  const status = statusDisplay(task.status);
  const mode = modeDisplay(task.mode);
  const lines = [
    `Task ${task.taskId}:`,
    field("Name", task.name || UNNAMED),
    field(
      "Status",
      renderEmoji(status, options) + styler.apply(status.label, status.color ?? "yellow"),
    ),
    field("Mode", renderEmoji(mode, options) + (mode.label || "not set")),
  ];
  if (task.container) {
    lines.push(field("Container", task.container));
    lines.push(
      field(
        "Container state",
        task.containerState
          ? styler.apply(
            task.containerState,
            task.containerState === "running" ? "green" : "yellow",
          )
          : styler.apply("not found", "red"),
      ),
    );
  }
  if (task.exitCode !== null) lines.push(field("Exit code", String(task.exitCode)));
  if (task.workStatus) {
    const work = WORK_STATUS_DISPLAY[task.workStatus];
    lines.push(
      field("Work status", work ? renderEmoji(work, options) + work.label : task.workStatus),
    );
    if (task.workMessage) lines.push(field("Work message", task.workMessage));
  }
  if (task.createdAt) lines.push(field("Created", task.createdAt));
  lines.push(field("Workspace", task.workspace));
  return lines;
}

/** One `task list` row: `- <id>: <name> <status>[ [mode=…; exit=…; work=…]]`. */
export function renderListLine(task: TaskView, options: DisplayOptions): string {
  const styler = new Styler(options.color);
  const status = statusDisplay(task.status);
  const extras: string[] = [];
  if (task.mode) extras.push(`mode=${task.mode}`);
  if (task.exitCode !== null) extras.push(`exit=${task.exitCode}`);
  if (task.workStatus) extras.push(`work=${task.workStatus}`);
  return `- ${task.taskId}: ${task.name || UNNAMED} ${renderEmoji(status, options)}${
    styler.apply(status.label, status.color ?? "yellow")
  }${extras.length > 0 ? ` [${extras.join("; ")}]` : ""}`;
}

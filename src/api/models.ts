// Typed models of the ConTree API (API spec §3–5). Responses may carry fields we do not know;
// they are kept (index signatures) and passed through to output.

export const TERMINAL_STATUSES = ["SUCCESS", "FAILED", "CANCELLED"] as const;
export const ACTIVE_STATUSES = ["PENDING", "ASSIGNED", "EXECUTING"] as const;
export type TerminalStatus = typeof TERMINAL_STATUSES[number];
export type OperationStatus = typeof TERMINAL_STATUSES[number] | typeof ACTIVE_STATUSES[number];
export type OperationKind = "instance" | "image_import";

export function isTerminalStatus(status: unknown): status is TerminalStatus {
  return typeof status === "string" && (TERMINAL_STATUSES as readonly string[]).includes(status);
}

export interface WhoAmI {
  token_uuid: string;
  token_expiration: number | null;
  permissions: Record<string, boolean>;
  limits?: Record<string, number>;
  operations_stat: Record<string, number>;
  [key: string]: unknown;
}

export interface Image {
  uuid: string;
  tag?: string | null;
  created_at?: string;
  operation_uuid?: string | null;
  [key: string]: unknown;
}

export interface FileResponse {
  uuid: string;
  sha256: string;
  size: number;
  [key: string]: unknown;
}

export interface FileRecord extends FileResponse {
  created_at: string;
  updated_at: string;
}

/** Binary-safe text: ascii when every byte is printable ASCII or TAB/LF/CR, else base64. */
export interface StreamRepr {
  value: string;
  encoding: "ascii" | "base64";
  truncated?: boolean;
}

export interface ClosableStreamRepr {
  value: string;
  encoding?: "ascii" | "base64";
  close?: boolean;
}

export interface FileSpec {
  uuid?: string;
  uid?: number;
  gid?: number;
  /** Octal string such as "0644". */
  mode?: string;
}

export interface InstanceSpawnRequest {
  command: string;
  image: string;
  shell?: boolean;
  args?: string[];
  /** A null value unsets the variable (API spec §3.4). */
  env?: Record<string, string | null> | null;
  preserve_env?: boolean;
  cwd?: string;
  uid?: number;
  gid?: number;
  hostname?: string;
  timeout?: number;
  truncate_output_at?: number;
  disposable?: boolean;
  stdin?: ClosableStreamRepr;
  files?: Record<string, FileSpec>;
  resources_limits?: { max_layer_bytes?: number };
  networking?: { enabled?: boolean };
}

export interface InstanceState {
  continued?: boolean;
  core_dump?: boolean;
  exit_code?: number;
  pid?: number;
  signal?: number;
  stopped?: boolean;
  timed_out?: boolean;
}

export interface InstanceResult {
  resources?: Record<string, number>;
  state?: InstanceState | null;
  stdout?: StreamRepr | null;
  stderr?: StreamRepr | null;
}

export interface Operation {
  uuid: string;
  kind?: OperationKind | string;
  status?: OperationStatus | string;
  error?: string | null;
  created_at?: string;
  duration?: number | null;
  image_size?: number;
  /** CPU seconds the run used (user and kernel). */
  consumed_cpu?: number;
  /** The run's peak memory, as `metadata.result.resources.max_rss` (KiB). */
  consumed_memory?: number;
  image_uuid?: string;
  result_image_uuid?: string | null;
  metadata?:
    | (Partial<InstanceSpawnRequest> & { result?: InstanceResult; [key: string]: unknown })
    | null;
  result?: { image?: string | null; tag?: string | null; [key: string]: unknown } | null;
  [key: string]: unknown;
}

export interface ImageImportRequest {
  registry: { url: string; credentials?: { username?: string; password?: string } };
  tag?: string | null;
  timeout?: number;
}

export interface FileItem {
  size: number;
  path: string;
  owner: string | number;
  group: string | number;
  uid: number;
  gid: number;
  mode: number;
  mtime: number;
  nlink: number;
  is_dir: boolean;
  is_regular: boolean;
  is_symlink: boolean;
  is_socket: boolean;
  is_fifo: boolean;
  symlink_to: string;
}

export interface DirectoryList {
  path: string;
  files: FileItem[];
}

/** One `GET /inspect/{uuid}/grep` query (API spec §3): repeatable keys are lists. */
export interface GrepQuery {
  pattern: string[];
  path?: string[];
  glob?: string[];
  max_count?: number;
  max_total?: number;
  case?: "sensitive" | "insensitive" | "smart";
  before?: number;
  after?: number;
}

export interface GrepSubmatch {
  text: string;
  start: number;
  end: number;
}

export interface GrepMatch {
  path: string;
  line_number: number | null;
  absolute_offset: number;
  /** The line (with its line terminator), decoded as UTF-8 (invalid bytes replaced). */
  line_text: string;
  /** The raw line in base64 when it is not valid UTF-8; null otherwise. */
  line_bytes: string | null;
  submatches: GrepSubmatch[];
  /** `match`, or `context` for a line of `before`/`after` context. */
  type: "match" | "context";
}

export interface GrepResult {
  path: string;
  patterns: string[];
  matches: GrepMatch[];
  truncated: boolean;
}

// ---- Event log (API spec §5.3) ----

export type OperationEventType =
  | "init"
  | "network"
  | "spawn"
  | "stdin"
  | "stdout"
  | "stderr"
  | "exit"
  | "truncated"
  | "size_cap"
  | "shutdown"
  | "completion";

export interface OperationEvent<T = Record<string, unknown>> {
  id: number;
  ts: string;
  spid?: number;
  type: OperationEventType | string;
  data: T;
}

export type ExitEventData = {
  pid: number;
  code: number;
  signal: number;
  core_dump?: boolean;
  timed_out: boolean;
  duration_ms: number;
  resources: Record<string, number>;
};

export type TruncatedEventData = {
  stream: "stdout" | "stderr";
  bytes_emitted: number;
  bytes_dropped: number;
};

export type CompletionEventData = {
  status: TerminalStatus;
  result_image_uuid?: string | null;
  error?: string | null;
  duration_ms: number;
  image_size_bytes?: number;
};

export type StdioEvent = OperationEvent<StreamRepr>;
export type ExitEvent = OperationEvent<ExitEventData>;
export type CompletionEvent = OperationEvent<CompletionEventData>;

// The response schemas of the ConTree API (spec §3–§5, catalogue §4) in zod, for the conformance
// suite. Read strictly, as a typed client would: a field marked optional may be absent but, when
// present, has its type — null only where the spec says `|null`. Unknown fields are allowed
// (clients must ignore them).

import { z } from "npm:zod@4.6.7";

export { z };

const dt = z.iso.datetime({ offset: true });
const int = z.int();

export const ErrorBody = z.object({
  error: z.unknown().refine((value) => value !== undefined, "error is required"),
  status: int.optional(),
  traceback: z.array(z.string()).optional(),
});

export const WhoAmI = z.object({
  token_uuid: z.string(),
  token_expiration: int.nullable(),
  permissions: z.record(z.string(), z.boolean()),
  limits: z.record(z.string(), int).optional(),
  operations_stat: z.record(z.string(), int),
});

export const Image = z.object({
  uuid: z.string().optional(),
  tag: z.string().nullable().optional(),
  created_at: dt.optional(),
  operation_uuid: z.string().nullable().optional(),
});
export const ImageList = z.object({ images: z.array(Image).optional() });
/** `POST /images/import` → `{"uuid": <operation>}`. */
export const ImportResponse = z.object({ uuid: z.string() });

export const FileResponse = z.object({ uuid: z.string(), sha256: z.string(), size: int });
export const FileRecord = FileResponse.extend({ created_at: dt, updated_at: dt });
export const FilesList = z.object({ files: z.array(FileRecord).optional() });

export const StreamRepr = z.object({
  value: z.string(),
  encoding: z.enum(["ascii", "base64"]),
  truncated: z.boolean().optional(),
});
export const ClosableStreamRepr = z.object({
  value: z.string(),
  encoding: z.enum(["ascii", "base64"]).optional(),
  close: z.boolean().optional(),
});
export const FileSpec = z.object({
  uuid: z.string().optional(),
  uid: int.optional(),
  gid: int.optional(),
  mode: z.union([z.string(), int]).optional(),
});

const spawnFields = {
  command: z.string(),
  image: z.string(),
  shell: z.boolean().optional(),
  args: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).nullable().optional(),
  preserve_env: z.boolean().optional(),
  cwd: z.string().optional(),
  uid: int.optional(),
  gid: int.optional(),
  hostname: z.string().optional(),
  timeout: int.optional(),
  truncate_output_at: int.optional(),
  disposable: z.boolean().optional(),
  stdin: ClosableStreamRepr.optional(),
  files: z.record(z.string(), FileSpec).optional(),
  resources_limits: z.object({ max_layer_bytes: int.optional() }).optional(),
  networking: z.object({ enabled: z.boolean().optional() }).optional(),
};

export const InstanceResult = z.object({
  resources: z.record(z.string(), z.number()).optional(),
  state: z.object({
    continued: z.boolean().optional(),
    core_dump: z.boolean().optional(),
    exit_code: int.optional(),
    pid: int.optional(),
    signal: int.optional(),
    stopped: z.boolean().optional(),
    timed_out: z.boolean().optional(),
  }).optional(),
  stdout: StreamRepr.optional(),
  stderr: StreamRepr.optional(),
});

/** InstanceSpawnResponse: every request field optional, plus `uuid` and `result`. */
export const InstanceSpawnResponse = z.object({
  ...Object.fromEntries(
    Object.entries(spawnFields).map(([key, schema]) => [key, schema.optional()]),
  ),
  uuid: z.string().optional(),
  result: InstanceResult.optional(),
});

export const OPERATION_STATUSES = [
  "PENDING",
  "ASSIGNED",
  "EXECUTING",
  "SUCCESS",
  "FAILED",
  "CANCELLED",
] as const;
const TERMINAL = ["SUCCESS", "FAILED", "CANCELLED"] as const;

export const OperationSummary = z.object({
  uuid: z.string().optional(),
  kind: z.enum(["instance", "image_import"]).optional(),
  status: z.enum(OPERATION_STATUSES).optional(),
  error: z.string().nullable().optional(),
  created_at: dt.optional(),
  duration: z.number().optional(),
  image_size: int.optional(),
  consumed_cpu: z.number().optional(),
  consumed_memory: int.optional(),
  image_uuid: z.string().optional(),
  result_image_uuid: z.string().optional(),
});
export const OperationList = z.array(OperationSummary);

const OperationInstanceMetadata = z.object({ ...spawnFields, result: InstanceResult.optional() });
const ImageImportMetadata = z.object({
  registry: z.object({
    url: z.string().optional(),
    credentials: z.object({
      username: z.string().optional(),
      password: z.string().optional(),
    }).optional(),
  }).optional(),
  tag: z.string().nullable().optional(),
  timeout: int.optional(),
});
const OperationResult = z.object({
  image: z.string().nullable().optional(),
  tag: z.string().nullable().optional(),
});

/** OperationResponse: the summary, `result`, and `metadata` discriminated by `kind`. */
export const OperationResponse = OperationSummary.extend({
  metadata: z.unknown(),
  result: OperationResult.optional(),
}).superRefine((op, ctx) => {
  const metadata = op.kind === "image_import" ? ImageImportMetadata : OperationInstanceMetadata;
  const parsed = metadata.safeParse(op.metadata);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      ctx.addIssue({ ...issue, path: ["metadata", ...issue.path] } as never);
    }
  }
});

export const SubprocessCreated = z.object({ spid: int.min(2) });

export const FileItem = z.object({
  size: int,
  path: z.string(),
  owner: z.union([z.string(), int]),
  group: z.union([z.string(), int]),
  uid: int,
  gid: int,
  mode: int,
  mtime: int,
  nlink: int,
  is_dir: z.boolean(),
  is_regular: z.boolean(),
  is_symlink: z.boolean(),
  is_socket: z.boolean(),
  is_fifo: z.boolean(),
  symlink_to: z.string(),
});
export const DirectoryList = z.object({ path: z.string(), files: z.array(FileItem) });

export const GrepMatch = z.object({
  path: z.string(),
  line_number: int,
  absolute_offset: int,
  line_text: z.string(),
  line_bytes: z.string().nullable(),
  submatches: z.array(z.object({ text: z.string(), start: int, end: int })),
  type: z.enum(["match", "context"]),
});
export const GrepResult = z.object({
  path: z.string(),
  patterns: z.array(z.string()),
  matches: z.array(GrepMatch),
  truncated: z.boolean(),
});

// ---- the event log (§5.3) ----

// Written from the spec, not imported from the server: a schema built from the code under test
// could not catch the code's mistakes.
const EXIT_RESOURCES = [
  "user_time_us",
  "sys_time_us",
  "max_rss_kb",
  "shared_memory",
  "unshared_memory",
  "swaps",
  "minor_faults",
  "major_faults",
  "voluntary_ctx_switches",
  "involuntary_ctx_switches",
  "block_input_ops",
  "block_output_ops",
  "ipc_msgs_sent",
  "ipc_msgs_received",
  "signals_received",
] as const;

const EVENT_DATA = {
  init: z.object({
    started_at: dt,
    runtime_path: z.string(),
    verbose: z.boolean(),
    init_pid: int,
    hostname: z.string().optional(),
    kernel: z.string().optional(),
    machine: z.string().optional(),
    boot_id: z.string().optional(),
  }),
  spawn: z.object({
    pid: int,
    command: z.string(),
    args: z.array(z.string()),
    shell: z.boolean(),
    cwd: z.string(),
    uid: int,
    gid: int,
    timeout: int,
    truncate_at: int,
    env: z.record(z.string(), z.string()).optional(),
  }),
  stdin: StreamRepr,
  stdout: StreamRepr,
  stderr: StreamRepr,
  exit: z.object({
    pid: int,
    code: int,
    signal: int,
    core_dump: z.boolean().optional(),
    timed_out: z.boolean(),
    duration_ms: int,
    resources: z.object(Object.fromEntries(EXIT_RESOURCES.map((key) => [key, int]))),
  }),
  truncated: z.object({
    stream: z.enum(["stdout", "stderr"]),
    bytes_emitted: int,
    bytes_dropped: int,
  }),
  size_cap: z.object({ limit_bytes: int, file_size: int }),
  network: z.object({ interfaces: z.array(z.record(z.string(), z.unknown())) }),
  shutdown: z.object({ stopped_at: dt, reason: z.string() }),
  completion: z.object({
    status: z.enum(TERMINAL),
    result_image_uuid: z.string().nullable().optional(),
    error: z.string().nullable().optional(),
    duration_ms: int,
    image_size_bytes: int.optional(),
  }),
} as const;

export type EventType = keyof typeof EVENT_DATA;

/** OperationEvent with the payload of its type. */
export const OperationEvent = z.object({
  id: int.min(0),
  ts: dt,
  spid: int.min(0).optional(),
  type: z.enum(Object.keys(EVENT_DATA) as [EventType, ...EventType[]]),
  data: z.record(z.string(), z.unknown()),
}).superRefine((event, ctx) => {
  const parsed = EVENT_DATA[event.type].safeParse(event.data);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      ctx.addIssue({ ...issue, path: ["data", ...issue.path] } as never);
    }
  }
});

/** Parses `value` with `schema`; a mismatch fails with every issue and where it was seen. */
export function expectShape<T extends z.ZodType>(
  schema: T,
  value: unknown,
  where: string,
): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new Error(
      `${where}: the response does not match its schema:\n${z.prettifyError(parsed.error)}\n` +
        `body: ${JSON.stringify(value).slice(0, 2000)}`,
    );
  }
  return parsed.data;
}

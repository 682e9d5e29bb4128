// The manual `contree agent` prints for coding agents (CLI spec §8.11). A TS module rather than
// a Markdown file so it travels with the module graph: compiled binaries and `deno run <URL>`
// have it without reading files. The "All commands" section is generated from the live command
// tree (agent.ts), so it never lists a command that does not exist.

export const MANUAL_TITLE = "contree: the manual for coding agents";

export interface ManualSection {
  title: string;
  body: string;
}

export const MANUAL_SECTIONS: readonly ManualSection[] = [
  {
    title: "Core workflow",
    body: `
contree runs commands in ConTree sandboxes: short-lived VMs started from immutable images.
A successful run produces a new image, and a session records each step like git history, so
any step can be undone. The loop:

  contree use -N busybox:latest    # new session at an image; prints: export CONTREE_SESSION=KEY
  export CONTREE_SESSION=KEY       # or pass -S KEY to every command
  contree run -- make test         # runs in the session's current image, output streams live
  contree run -s 'cd /src && ls'   # one shell expression
  contree session show             # the history: one entry per use, run, cd and staged file
  contree session rollback         # back one entry; the next run starts from there

Rules:
- Always name the session: CONTREE_SESSION=KEY in the environment of every call, or -S KEY.
  Without it the key is derived from the terminal and the parent process, which change between
  tool calls, and you get "No active session".
- Global options (-S, -f, -p, -L ...) go before the command: contree -f json ps.
- run options go before the sandbox command: contree run -t 600 -e A=1 -- CMD ARGS. Every word
  from the first word of the command on belongs to the command.
- Exit codes: run and op wait exit with the sandbox command's own code; 1 = contree error (API,
  network, bad reference, failed operation); 2 = usage error; 4 = not authenticated; 130/143 =
  interrupted (the running operation is cancelled); 141 = broken pipe.
- A run survives network faults on its own: output is never lost or doubled. "[WARNING] Lost
  contact" means the server has not answered for 10 s; after CONTREE_FOLLOW_TIMEOUT seconds
  (default 900) contree exits 1 and the operation keeps running: pick it up with
  contree op wait -t 3600 UUID (it waits 60 s by default; then contree show UUID for output).
- Parse -f json output, never tables.`,
  },
  {
    title: "Sessions",
    body: `
A session is a chain of history entries, each pointing at an image, plus named branches. The
current image is the tip of the active branch (default "main"). Sessions live in a local
database per profile ($CONTREE_HOME/cli/sessions/PROFILE.db); the server knows nothing of them.

  contree use IMAGE                  # move this session to IMAGE (a "use" entry)
  contree use -N IMAGE               # a new session with a random key
  contree use                        # show the current session
  contree session list [--filter T]  # all sessions, newest first
  contree session show [-a] [-k KIND] [-l N] [--since W] [--until W]
  contree session rollback [TARGET]  # -N back N (default -1), N = entry id, +N forward
  contree session rollback -3        # three steps back (-- -3 works too)
  contree session forward [N]
  contree session branch [NAME] [--from BRANCH] | -U NAME | --prune
  contree session checkout BRANCH
  contree session use KEY            # continue from another session's current image
  contree session wait [REF...]      # finish detached runs and record their images
  contree session delete KEY... [-y]
  contree env [K=V ...] | env -U K...   # environment sent with every run of this session
  contree cd [PATH]                  # working directory of later runs (checked in the image)

References to operations (UUID_OR_REF, accepted by show, kill, op wait, session wait): an
operation UUID, @N or N (history entry N), HEAD or @ (the tip), @-1 or HEAD~1 (one back),
HEAD~N (N back), @+1 (one forward).`,
  },
  {
    title: "Images & tags",
    body: `
Images are immutable. Refer to one by UUID, by tag:NAME, or by a bare tag NAME.

  contree images [--prefix P] [-a] [--since W] [--until W] [--limit N]   # tagged images (-a: all)
  contree images import ubuntu:noble             # from a registry; polls until done
  contree images import 'ubuntu:{jammy,noble}'   # brace expansion; ?tag=NAME sets the tag
  contree tag NAME                   # tag the session's current image
  contree tag IMAGE NAME             # tag another image (a tag moves if it was elsewhere)
  contree tag -U IMAGE NAME          # remove a tag
  contree build [CONTEXT] [--dockerfile P] [--tag NAME] [--build-arg K=V] [--no-cache]

build interprets a Dockerfile (FROM, RUN, COPY, ADD, WORKDIR, ENV, ARG, USER) as sandbox runs
and caches each layer, so a rebuild only reruns what changed. Tags: lowercase letters, digits,
_ and -, with : / . as separators; at most 256 characters.`,
  },
  {
    title: "Files & directories",
    body: `
Reading an image needs no VM (paths are relative to the session's working directory):

  contree ls [PATH]                  # list a directory of the current image
  contree cat PATH                   # file bytes to stdout
  contree cp PATH DEST               # download a file to the host

Getting files in:

  contree run -F ./src:/src -- make -C /src   # attach a host file or directory for one run
  -F HOST[:/SANDBOX/PATH][:uUID][:gGID][:mMODE]; directories are walked; .git, node_modules,
  dist, build, dot files and caches are skipped (add patterns with --file-excludes)
  contree file cp HOST DEST          # stage a file; it rides along with every run ...
  contree file edit PATH             # ... until a successful run bakes it into the image
  contree file edit -E 'sed -i s/a/b/' PATH   # without a terminal, name the editing command
  contree file ls                    # files uploaded to the server

Uploads are deduplicated by SHA-256. Piped stdin is passed to the sandbox command
(echo data | contree run -- wc -c); a terminal stdin is never read.`,
  },
  {
    title: "Execution modes",
    body: `
  contree run -- CMD ARGS            # wait, stream output, exit with CMD's code; on success the
                                     # session advances to the result image
  contree run -s 'EXPR'              # shell mode: sh -c EXPR
  contree run -I ./script.sh ARGS    # interpreter mode: the script's body runs under /bin/sh -s
  contree run -D -- CMD              # disposable: nothing is kept, the session does not move
  contree run -d -- CMD              # detached: print the operation and return at once
  contree run --use IMAGE -- CMD     # switch the session to IMAGE first
  -t SECONDS (default 120), -e K=V (repeat the flag per pair), -C DIR, -T BYTES (output
  truncation, default 65536), --preserve-env (bake the environment into the result image)

Operations (runs and imports) on the server:

  contree ps [-a] [--status S] [-k KIND] [--since W] [--until W] [-M N] [-q]
  contree show REF... [--raw]        # status, exit code, output; --raw = the full JSON
  contree op wait REF... | -a [-t SECONDS]   # wait and exit with the worst exit code
  contree op events REF...           # the whole event log, one row per event (-f json)
  contree kill REF... | -a           # cancel

A detached run leaves the session where it was; contree session wait records its image when
it succeeds. Local podman task containers (contree task, contree project) are separate from
sandboxes: long-lived containers with a persistent workspace on this machine.`,
  },
  {
    title: "Command safety",
    body: `
- Inside a sandbox anything goes: it is a throw-away VM, and contree session rollback undoes a
  run. Prefer run -D for experiments you do not want in the history.
- Not undoable: session delete, auth remove (deletes that profile's session database), kill
  (cancels a running operation), tag (moves a tag other people may use), task delete (removes
  the workspace; metadata and logs are archived), and anything a sandbox does to the outside
  world over the network.
- Confirmation prompts read stdin (a piped "y" answers them); -y/--force skips them. Pass -y
  only for the exact objects you mean.
- contree run ... | head cancels the operation when head exits (exit 141) and contree next
  writes. Past -T (64 KiB by default) nothing more is written, so that is noticed only when the
  command ends: give it -t, or raise -T. Redirect to a file when you need the whole output, or
  use -f json.
- Long commands need -t SECONDS; the default timeout is 120 s.
- Never print or log tokens. contree auth ls shows a token digest only; give tokens through
  CONTREE_TOKEN or a prompt, not in command lines that end up in logs.
- Interrupting contree (SIGTERM, or a second Ctrl-C) cancels the operation it is waiting for;
  the first Ctrl-C during run sends SIGINT to the sandbox's process and keeps following it.`,
  },
  {
    title: "Output formats",
    body: `
-f/--format (before the command): default, table, plain, json, json-pretty, csv, tsv, toml.

- json: one object per line; json-pretty: one array. Timestamps are ISO 8601 with +00:00,
  durations float seconds. Rows leave nested values out (show --raw has everything), except
  op events, whose rows keep each event's data object.
- contree -f json run -- CMD prints one row with exit_code, stdout, stderr and the result image
  instead of streaming.
- ps -q prints operation UUIDs only, one per line.
- Data goes to stdout; logs ([INFO] ..., [WARNING] ..., [ERROR] ...) go to stderr. -L warning
  hides info logs. An error is one [ERROR] line and a non-zero exit code.
- No colours or table fitting when stdout/stderr are not terminals; NO_COLOR disables colours,
  FORCE_COLOR forces terminal behaviour.`,
  },
  {
    title: "Profiles",
    body: `
A profile is a server URL plus credentials, kept in $CONTREE_HOME/auth.ini (mode 0600;
default $XDG_CONFIG_HOME/contree or ~/.config/contree).

  contree auth --type jwt -u URL -p NAME   # asks for the token (or reads CONTREE_TOKEN),
                                           # verifies it, saves NAME and makes it active
  contree auth                             # an IAM profile: token and project
  contree auth ls [-O]                     # profiles and whether they work
  contree auth use NAME                    # make NAME the active profile
  contree auth remove NAME [-y]

Per invocation: -p NAME or CONTREE_PROFILE; --token, -u/--url, -P/--project override the
selected profile. When the selected profile is not configured, CONTREE_URL + CONTREE_TOKEN
(+ CONTREE_PROJECT), or --url with --token, configure the run directly: containers and CI need
no files.

The local server: contree server start runs a ConTree-compatible API on 127.0.0.1 backed by
podman on this machine: the same commands work offline, without an account. See
contree server start --help for its port, its data directory and the profile that points at it.`,
  },
  {
    title: "Interactive shell",
    body: `
contree shell (alias sh) is an interactive prompt for people; agents should call contree
commands directly. Each line runs in the session's current image and advances it like run:

  (main) / $ apk add curl              # anything else: contree run -s LINE, output live
  (main) / $ timeout 10m make          # the same with -t 600 (N, Ns, Nm, Nh, Nd)
  (main) / $ cd /src                   # the shell's cwd (a cd entry; not checked)
  (main) / $ ls [PATH]  /  cat FILE    # contree ls / cat, relative to the cwd
  (main) / $ vim FILE                  # contree file edit (also vi, nvim, nano)
  (main) / $ contree session show      # any contree command (only -f before it)
  builtins: pwd, cd -, history [PATTERN], -f [FORMAT], clear, help [TOPIC], exit

Before each prompt stderr shows "session: KEY [DEPTH] image: UUID". A trailing \\ or an open
quote continues the line; Tab completes commands, options, images, branches, sessions and
sandbox paths; history is kept per session in the session database. Ctrl-C sends SIGINT to the
running line's process, a second one cancels it (the shell goes on); Ctrl-D, exit or quit
leave. With a pipe on stdin (printf 'ls\\nexit\\n' | contree shell) the lines run without
prompts.`,
  },
  {
    title: "Agent tools",
    body: `
  contree skill install [SPEC...]    # write the contree skill (this manual) for agent tools
  contree skill list                 # installs, their version, whether they are current
  contree skill upgrade [SPEC...]    # rewrite installs after upgrading contree
  contree skill remove [SPEC...] [-y]   # delete the files an install wrote, nothing else

SPEC: KIND: (the project in the working directory), KIND:~ (the tool's home), KIND:PATH or
a PATH; KIND = codex, claude, opencode, amp, cline, claude-subagent, claude-agent. Without
SPEC, install targets every tool whose home directory exists (~/.claude, ~/.codex, ...;
CODEX_HOME, OPENCODE_HOME and CLINE_DIR move them). Installs are remembered in
$CONTREE_HOME/cli/skills.db. Agent hosts that speak MCP use contree mcp instead (next section).`,
  },
  {
    title: "MCP server",
    body: `
Agent hosts that speak the Model Context Protocol (desktop assistants, IDEs) get the same
capabilities as tools from contree mcp, with the profile and session options of every command:

  contree mcp                        # MCP over stdio: register the command "contree", args ["mcp"]
  contree mcp --http [--port N]      # Streamable HTTP on 127.0.0.1 (default port 9452); needs
                                     # "Authorization: Bearer TOKEN", TOKEN printed on stderr and
                                     # kept in $CONTREE_HOME/mcp/token (0600)

Tools (contree-mcp's names and parameters): run, list_images, get_image, import_image,
registry_token_obtain, registry_auth, set_tag, list_files, read_file, grep, upload, download,
rsync, get_operation, list_operations, wait_operations, cancel_operation, get_guide, whoami; and
the session: use, session_show, session_rollback, session_branch. Inspecting (list_*, get_*,
read_file, grep) is free; run starts a VM; import_image is the most expensive call.

- run(command, image) runs in that image and touches no session; disposable=false keeps the
  result as result_image to start the next run from. Without image, run works in the session
  (use IMAGE first) like contree run: each kept run is a history entry, session_rollback undoes.
- While run waits, its output arrives as progress notifications; wait=false returns an
  operation_id for wait_operations / get_operation / cancel_operation.
- Private images: registry_token_obtain(registry_url) gives the page where the user makes a
  read-only token (then wait for them); registry_auth(registry_url, username, token) checks it
  with the registry and keeps it (0600); import_image from that registry then sends it.
- Host files: upload (one file, returns a file uuid for run's files {"/path": uuid}) or rsync
  (a directory, returns directory_state_id; only changed files are uploaded).
- Every failure is a tool error with one readable line; the server keeps serving.
- The guides are these sections: get_guide(section) or the resource contree://guide/SECTION.`,
  },
];

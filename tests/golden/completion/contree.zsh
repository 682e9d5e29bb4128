#compdef contree
# zsh completion for contree, generated from its command tree by
# `contree completion zsh`. Regenerate it after upgrading contree.
#
# Install: contree completion zsh > ~/.zfunc/_contree   # fpath=(~/.zfunc $fpath), then compinit
#      or: source <(contree completion zsh)   # in ~/.zshrc, after compinit

# _contree_child PATH WORD: the path of PATH's subcommand WORD (aliases included).
_contree_child() {
  case "$1/$2" in
    'contree/use'|'contree/ci')
      REPLY='contree use' ;;
    'contree/run'|'contree/r')
      REPLY='contree run' ;;
    'contree/operation'|'contree/op')
      REPLY='contree operation' ;;
    'contree/ps')
      REPLY='contree ps' ;;
    'contree/show')
      REPLY='contree show' ;;
    'contree/kill')
      REPLY='contree kill' ;;
    'contree/session'|'contree/s')
      REPLY='contree session' ;;
    'contree/images'|'contree/i'|'contree/img')
      REPLY='contree images' ;;
    'contree/tag'|'contree/t')
      REPLY='contree tag' ;;
    'contree/ls')
      REPLY='contree ls' ;;
    'contree/cat')
      REPLY='contree cat' ;;
    'contree/cp')
      REPLY='contree cp' ;;
    'contree/cd')
      REPLY='contree cd' ;;
    'contree/env')
      REPLY='contree env' ;;
    'contree/file'|'contree/f')
      REPLY='contree file' ;;
    'contree/shell'|'contree/sh')
      REPLY='contree shell' ;;
    'contree/build'|'contree/bd')
      REPLY='contree build' ;;
    'contree/auth')
      REPLY='contree auth' ;;
    'contree/server')
      REPLY='contree server' ;;
    'contree/task')
      REPLY='contree task' ;;
    'contree/project')
      REPLY='contree project' ;;
    'contree/completion')
      REPLY='contree completion' ;;
    'contree/mcp')
      REPLY='contree mcp' ;;
    'contree/agent'|'contree/man')
      REPLY='contree agent' ;;
    'contree/skill')
      REPLY='contree skill' ;;
    'contree/help')
      REPLY='contree help' ;;
    'contree operation/list'|'contree operation/ls')
      REPLY='contree operation list' ;;
    'contree operation/show'|'contree operation/sh')
      REPLY='contree operation show' ;;
    'contree operation/wait'|'contree operation/w')
      REPLY='contree operation wait' ;;
    'contree operation/cancel'|'contree operation/kill'|'contree operation/k')
      REPLY='contree operation cancel' ;;
    'contree operation/events'|'contree operation/ev')
      REPLY='contree operation events' ;;
    'contree operation/help')
      REPLY='contree operation help' ;;
    'contree session/list'|'contree session/ls')
      REPLY='contree session list' ;;
    'contree session/use')
      REPLY='contree session use' ;;
    'contree session/branch'|'contree session/br')
      REPLY='contree session branch' ;;
    'contree session/checkout'|'contree session/co')
      REPLY='contree session checkout' ;;
    'contree session/rollback'|'contree session/rb')
      REPLY='contree session rollback' ;;
    'contree session/forward'|'contree session/fw')
      REPLY='contree session forward' ;;
    'contree session/show'|'contree session/history')
      REPLY='contree session show' ;;
    'contree session/wait')
      REPLY='contree session wait' ;;
    'contree session/prune')
      REPLY='contree session prune' ;;
    'contree session/delete'|'contree session/rm'|'contree session/del')
      REPLY='contree session delete' ;;
    'contree session/help')
      REPLY='contree session help' ;;
    'contree images/list'|'contree images/ls')
      REPLY='contree images list' ;;
    'contree images/import')
      REPLY='contree images import' ;;
    'contree images/help')
      REPLY='contree images help' ;;
    'contree file/edit'|'contree file/e')
      REPLY='contree file edit' ;;
    'contree file/cp')
      REPLY='contree file cp' ;;
    'contree file/ls'|'contree file/list')
      REPLY='contree file ls' ;;
    'contree file/help')
      REPLY='contree file help' ;;
    'contree auth/list'|'contree auth/ls'|'contree auth/profiles')
      REPLY='contree auth list' ;;
    'contree auth/use'|'contree auth/switch')
      REPLY='contree auth use' ;;
    'contree auth/remove'|'contree auth/rm'|'contree auth/del')
      REPLY='contree auth remove' ;;
    'contree auth/help')
      REPLY='contree auth help' ;;
    'contree server/start')
      REPLY='contree server start' ;;
    'contree server/stop')
      REPLY='contree server stop' ;;
    'contree server/status')
      REPLY='contree server status' ;;
    'contree server/help')
      REPLY='contree server help' ;;
    'contree task/new')
      REPLY='contree task new' ;;
    'contree task/run')
      REPLY='contree task run' ;;
    'contree task/list'|'contree task/ls')
      REPLY='contree task list' ;;
    'contree task/status')
      REPLY='contree task status' ;;
    'contree task/rename')
      REPLY='contree task rename' ;;
    'contree task/stop')
      REPLY='contree task stop' ;;
    'contree task/login')
      REPLY='contree task login' ;;
    'contree task/logs')
      REPLY='contree task logs' ;;
    'contree task/wait')
      REPLY='contree task wait' ;;
    'contree task/delete'|'contree task/rm')
      REPLY='contree task delete' ;;
    'contree task/archive')
      REPLY='contree task archive' ;;
    'contree task/help')
      REPLY='contree task help' ;;
    'contree task archive/list'|'contree task archive/ls')
      REPLY='contree task archive list' ;;
    'contree task archive/logs')
      REPLY='contree task archive logs' ;;
    'contree task archive/help')
      REPLY='contree task archive help' ;;
    'contree project/new'|'contree project/init')
      REPLY='contree project new' ;;
    'contree project/list'|'contree project/ls')
      REPLY='contree project list' ;;
    'contree project/show')
      REPLY='contree project show' ;;
    'contree project/help')
      REPLY='contree project help' ;;
    'contree skill/list'|'contree skill/ls')
      REPLY='contree skill list' ;;
    'contree skill/install'|'contree skill/i')
      REPLY='contree skill install' ;;
    'contree skill/remove'|'contree skill/r'|'contree skill/rm'|'contree skill/del')
      REPLY='contree skill remove' ;;
    'contree skill/upgrade'|'contree skill/u'|'contree skill/update')
      REPLY='contree skill upgrade' ;;
    'contree skill/help')
      REPLY='contree skill help' ;;
    *) return 1 ;;
  esac
}

# _contree_commands PATH: the subcommands of PATH.
_contree_commands() {
  case "$1" in
    'contree')
      reply=('use:set the session image (UUID, tag:NAME or NAME) and print `export CONTREE_SESSION=…`; without IMAGE, show the session' 'ci:set the session image (UUID, tag:NAME or NAME) and print `export CONTREE_SESSION=…`; without IMAGE, show the session' 'run:run a command in a sandbox from the session image; output streams live' 'r:run a command in a sandbox from the session image; output streams live' 'operation:manage operations: list, show, wait, cancel, events' 'op:manage operations: list, show, wait, cancel, events' 'ps:list operations (default: EXECUTING only)' 'show:show one or more operation results' 'kill:cancel one or more operations (or --all active ones)' 'session:sessions: history, branches, rollback; without a subcommand, the current one' 's:sessions: history, branches, rollback; without a subcommand, the current one' 'images:list images (default) and import them from registries' 'i:list images (default) and import them from registries' 'img:list images (default) and import them from registries' 'tag:tag an image (default: the session'\''s current image), or remove a tag with -U' 't:tag an image (default: the session'\''s current image), or remove a tag with -U' 'ls:list a directory of the image (default: the session cwd)' 'cat:write a file of the image to stdout' 'cp:copy a file or a directory of the image to a local path' 'cd:change the session'\''s working directory (checked in the image); no PATH prints it' 'env:show, set (K=V …) or unset (-U K …) the session'\''s environment variables' 'file:stage files for the next run (edit, cp) and list uploaded files (ls)' 'f:stage files for the next run (edit, cp) and list uploaded files (ls)' 'shell:an interactive shell on the session: bare lines run in the sandbox, `contree …` runs commands' 'sh:an interactive shell on the session: bare lines run in the sandbox, `contree …` runs commands' 'build:build an image from a Dockerfile: FROM/RUN/COPY/ADD/ENV/ARG/WORKDIR/USER/SHELL, multi-stage, cached steps; RUN output streams live' 'bd:build an image from a Dockerfile: FROM/RUN/COPY/ADD/ENV/ARG/WORKDIR/USER/SHELL, multi-stage, cached steps; RUN output streams live' 'auth:register or update a profile (verifies the token with GET /v1/whoami)' 'server:the local ConTree server on podman: the ConTree API on 127.0.0.1, offline' 'task:long-lived podman task containers with persistent workspaces' 'project:projects for task containers (project.yml under $CONTREE_HOME/projects)' 'completion:print a shell completion script (commands, aliases, options, choices)' 'mcp:serve the Model Context Protocol (stdio, or --http on 127.0.0.1) for agent hosts' 'agent:the manual for coding agents (workflow, sessions, safety, all commands)' 'man:the manual for coding agents (workflow, sessions, safety, all commands)' 'skill:install the contree skill for agent tools (Codex, Claude Code, OpenCode, …)' 'help:show help for a command (`help task run`)') ;;
    'contree operation')
      reply=('list:list operations (default: EXECUTING only)' 'ls:list operations (default: EXECUTING only)' 'show:show one or more operation results' 'sh:show one or more operation results' 'wait:wait until operations reach a terminal status (all at once)' 'w:wait until operations reach a terminal status (all at once)' 'cancel:cancel one or more operations (or --all active ones)' 'kill:cancel one or more operations (or --all active ones)' 'k:cancel one or more operations (or --all active ones)' 'events:print each operation'\''s whole event log, one row per event' 'ev:print each operation'\''s whole event log, one row per event' 'help:show help for a command') ;;
    'contree session')
      reply=('list:list sessions, most recently updated first' 'ls:list sessions, most recently updated first' 'use:continue this session from another session'\''s current image' 'branch:list branches; create NAME (without switching); --delete NAME; --prune' 'br:list branches; create NAME (without switching); --delete NAME; --prune' 'checkout:switch the active branch' 'co:switch the active branch' 'rollback:move the active branch: -N back N (default -1), N to history entry N, +N forward N, or a reference such as HEAD~2' 'rb:move the active branch: -N back N (default -1), N to history entry N, +N forward N, or a reference such as HEAD~2' 'forward:move the active branch forward N entries (newest child each time)' 'fw:move the active branch forward N entries (newest child each time)' 'show:history of this session (or NAME), oldest first; the last 20 unless --all' 'history:history of this session (or NAME), oldest first; the last 20 unless --all' 'wait:wait for operations (no timeout); without arguments, for this session'\''s detached runs, advancing the session on success' 'prune:delete the detached-* and disposable-* branches (same as branch --prune)' 'delete:delete sessions and their history' 'rm:delete sessions and their history' 'del:delete sessions and their history' 'help:show help for a command') ;;
    'contree images')
      reply=('list:list images (tagged only unless --all)' 'ls:list images (tagged only unless --all)' 'import:import images from a registry: NAME[:TAG], REGISTRY/PATH[:TAG], docker://…, brace groups (ubuntu:{22.04,24.04}) and ?tag=TAG to choose the tag' 'help:show help for a command') ;;
    'contree file')
      reply=('edit:edit a file of the session image locally and stage the result' 'e:edit a file of the session image locally and stage the result' 'cp:upload a host file and stage it at DEST for the next run' 'ls:list files uploaded to the server (with their local source, when known)' 'list:list files uploaded to the server (with their local source, when known)' 'help:show help for a command') ;;
    'contree auth')
      reply=('list:list profiles and check which ones work (2 s probe each, in parallel)' 'ls:list profiles and check which ones work (2 s probe each, in parallel)' 'profiles:list profiles and check which ones work (2 s probe each, in parallel)' 'use:make a profile the active one' 'switch:make a profile the active one' 'remove:remove a profile and its session database' 'rm:remove a profile and its session database' 'del:remove a profile and its session database' 'help:show help for a command') ;;
    'contree server')
      reply=('start:start the server (foreground; -d to detach) and register the '\''local'\'' profile' 'stop:stop the server started for this home (SIGTERM, then wait)' 'status:show whether the server runs, where, and its operation counts (exit 1: stopped)' 'help:show help for a command') ;;
    'contree task')
      reply=('new:create a task (workspace and metadata; no container yet)' 'run:start a task'\''s container (a new task when none is given)' 'list:list a project'\''s tasks with their live status' 'ls:list a project'\''s tasks with their live status' 'status:show a task'\''s live status' 'rename:rename a task' 'stop:stop a task'\''s container (kept for `task run` to start again)' 'login:open a shell in a running task (tmux session '\''main'\'' when the image has tmux)' 'logs:capture the container'\''s logs to logs/container.log and print them' 'wait:wait for a task'\''s container to exit; record and exit with its code' 'delete:archive a task'\''s metadata and logs, remove its containers, workspace, metadata' 'rm:archive a task'\''s metadata and logs, remove its containers, workspace, metadata' 'archive:what deleted tasks left behind' 'help:show help for a command') ;;
    'contree task archive')
      reply=('list:list archived tasks, newest first' 'ls:list archived tasks, newest first' 'logs:print the logs of the newest archive whose name or task ID starts with PREFIX' 'help:show help for a command') ;;
    'contree project')
      reply=('new:create a project (writes <config root>/projects/NAME/project.yml)' 'init:create a project (writes <config root>/projects/NAME/project.yml)' 'list:list projects' 'ls:list projects' 'show:show a project'\''s settings and paths' 'help:show help for a command') ;;
    'contree skill')
      reply=('list:remembered installs, their version and whether they are current' 'ls:remembered installs, their version and whether they are current' 'install:write the skill files (no SPEC: every tool whose home directory exists)' 'i:write the skill files (no SPEC: every tool whose home directory exists)' 'remove:delete the files an install wrote (no SPEC: every remembered install)' 'r:delete the files an install wrote (no SPEC: every remembered install)' 'rm:delete the files an install wrote (no SPEC: every remembered install)' 'del:delete the files an install wrote (no SPEC: every remembered install)' 'upgrade:rewrite installs with this version (no SPEC: every remembered install)' 'u:rewrite installs with this version (no SPEC: every remembered install)' 'update:rewrite installs with this version (no SPEC: every remembered install)' 'help:show help for a command') ;;
    *) return 1 ;;
  esac
}

# _contree_options PATH: the options of PATH.
_contree_options() {
  case "$1" in
    'contree')
      reply=('-p:profile for this invocation (default: $CONTREE_PROFILE, then the active one)' '--profile:profile for this invocation (default: $CONTREE_PROFILE, then the active one)' '--token:token for this invocation' '-u:API base URL for this invocation' '--url:API base URL for this invocation' '-P:project for this invocation' '--project:project for this invocation' '-c:credentials file (default: $CONTREE_HOME/auth.ini)' '--config:credentials file (default: $CONTREE_HOME/auth.ini)' '-L:log level' '--log-level:log level' '-f:output format' '--format:output format' '-S:session key (default: $CONTREE_SESSION or derived from the terminal)' '--session:session key (default: $CONTREE_SESSION or derived from the terminal)' '-v:print the version and exit' '--version:print the version and exit' '-h:show help' '--help:show help') ;;
    'contree use')
      reply=('-N:start a new session with a random key' '--new:start a new session with a random key' '-h:show help' '--help:show help') ;;
    'contree run')
      reply=('-t:time limit of the command' '--timeout:time limit of the command' '-C:working directory (default: the session cwd (`contree cd`), else the server'\''s: /root)' '--cwd:working directory (default: the session cwd (`contree cd`), else the server'\''s: /root)' '-e:environment variable, one per flag (repeatable)' '--env:environment variable, one per flag (repeatable)' '-H:hostname of the sandbox' '--hostname:hostname of the sandbox' '-D:do not keep the result image; the session does not advance' '--disposable:do not keep the result image; the session does not advance' '-I:COMMAND is a local script with a shebang, run by /bin/sh in the sandbox' '--interpreter:COMMAND is a local script with a shebang, run by /bin/sh in the sandbox' '-s:run COMMAND through sh -c (several words are quoted and joined)' '--shell:run COMMAND through sh -c (several words are quoted and joined)' '-F:attach a host file or directory: host[:/sandbox/path][:u<uid>][:g<gid>][:m<mode>] (repeatable)' '--file:attach a host file or directory: host[:/sandbox/path][:u<uid>][:g<gid>][:m<mode>] (repeatable)' '--file-excludes:extra glob patterns to skip in directory attachments' '-T:cap on captured stdout/stderr' '--truncate:cap on captured stdout/stderr' '--preserve-env:keep the environment in the result image for later runs' '-d:return after spawning (see `contree session wait`, `contree op wait`)' '--detach:return after spawning (see `contree session wait`, `contree op wait`)' '--no-wait:same as --detach' '--use:start from IMAGE (recorded in the session first)' '-h:show help' '--help:show help') ;;
    'contree operation')
      reply=('-h:show help' '--help:show help') ;;
    'contree operation list')
      reply=('-q:only print UUIDs, one per line' '--quiet:only print UUIDs, one per line' '-a:all operations (default: EXECUTING only)' '--all:all operations (default: EXECUTING only)' '--status:filter by status (letters expand)' '-k:filter by kind' '--kind:filter by kind' '--since:only after: an ISO date/time or a relative interval (15m, 2h, 3d)' '--until:only before: an ISO date/time or a relative interval' '-M:show at most N operations' '--show-max:show at most N operations' '-h:show help' '--help:show help') ;;
    'contree operation show')
      reply=('--raw:print each operation'\''s full server payload as JSONL, verbatim' '-h:show help' '--help:show help') ;;
    'contree operation wait')
      reply=('-a:wait for every active operation' '--all:wait for every active operation' '-t:give up after this long (exit 1)' '--timeout:give up after this long (exit 1)' '-h:show help' '--help:show help') ;;
    'contree operation cancel')
      reply=('-a:cancel every active operation' '--all:cancel every active operation' '-h:show help' '--help:show help') ;;
    'contree operation events')
      reply=('-h:show help' '--help:show help') ;;
    'contree operation help')
      reply=('-h:show help' '--help:show help') ;;
    'contree ps')
      reply=('-q:only print UUIDs, one per line' '--quiet:only print UUIDs, one per line' '-a:all operations (default: EXECUTING only)' '--all:all operations (default: EXECUTING only)' '--status:filter by status (letters expand)' '-k:filter by kind' '--kind:filter by kind' '--since:only after: an ISO date/time or a relative interval (15m, 2h, 3d)' '--until:only before: an ISO date/time or a relative interval' '-M:show at most N operations' '--show-max:show at most N operations' '-h:show help' '--help:show help') ;;
    'contree show')
      reply=('--raw:print each operation'\''s full server payload as JSONL, verbatim' '-h:show help' '--help:show help') ;;
    'contree kill')
      reply=('-a:cancel every active operation' '--all:cancel every active operation' '-h:show help' '--help:show help') ;;
    'contree session')
      reply=('-h:show help' '--help:show help') ;;
    'contree session list')
      reply=('--filter:only keys containing TEXT' '-h:show help' '--help:show help') ;;
    'contree session use')
      reply=('-h:show help' '--help:show help') ;;
    'contree session branch')
      reply=('--from:create from this branch'\''s tip (default: the active branch)' '-U:delete branch NAME' '--delete:delete branch NAME' '--rm:same as --delete' '--prune:delete the detached-* and disposable-* branches' '-h:show help' '--help:show help') ;;
    'contree session checkout')
      reply=('-h:show help' '--help:show help') ;;
    'contree session rollback')
      reply=('-h:show help' '--help:show help') ;;
    'contree session forward')
      reply=('-h:show help' '--help:show help') ;;
    'contree session show')
      reply=('-a:every entry' '--all:every entry' '-k:only entries of this kind (KIND or KIND-*)' '--kind:only entries of this kind (KIND or KIND-*)' '-l:only the last N entries (0: all)' '--last:only the last N entries (0: all)' '--since:created after: a date, HH:MM, or an interval ago (1h30m, 2d)' '--until:created before (same syntax as --since)' '-h:show help' '--help:show help') ;;
    'contree session wait')
      reply=('-h:show help' '--help:show help') ;;
    'contree session prune')
      reply=('-h:show help' '--help:show help') ;;
    'contree session delete')
      reply=('-y:do not ask for confirmation' '--force:do not ask for confirmation' '-h:show help' '--help:show help') ;;
    'contree session help')
      reply=('-h:show help' '--help:show help') ;;
    'contree images')
      reply=('--prefix:only images whose tag starts with PREFIX' '-i:only the image with this UUID' '--uuid:only the image with this UUID' '-a:untagged images too (default: tagged only)' '--all:untagged images too (default: tagged only)' '--since:created after: a date, HH:MM, or an interval ago (1h30m, 2d)' '--until:created before (same syntax as --since)' '--limit:show at most N images' '-h:show help' '--help:show help') ;;
    'contree images list')
      reply=('--prefix:only images whose tag starts with PREFIX' '-i:only the image with this UUID' '--uuid:only the image with this UUID' '-a:untagged images too (default: tagged only)' '--all:untagged images too (default: tagged only)' '--since:created after: a date, HH:MM, or an interval ago (1h30m, 2d)' '--until:created before (same syntax as --since)' '--limit:show at most N images' '-h:show help' '--help:show help') ;;
    'contree images import')
      reply=('--username:registry user (the password is asked when not given)' '--password:registry password' '-t:server-side import timeout' '--timeout:server-side import timeout' '-h:show help' '--help:show help') ;;
    'contree images help')
      reply=('-h:show help' '--help:show help') ;;
    'contree tag')
      reply=('-U:remove the tag instead of setting it' '--delete:remove the tag instead of setting it' '--rm:same as --delete' '-h:show help' '--help:show help') ;;
    'contree ls')
      reply=('--image:read this image (UUID, tag:NAME, NAME) instead of the session'\''s' '-h:show help' '--help:show help') ;;
    'contree cat')
      reply=('--image:read this image (UUID, tag:NAME, NAME) instead of the session'\''s' '-h:show help' '--help:show help') ;;
    'contree cp')
      reply=('--image:read this image (UUID, tag:NAME, NAME) instead of the session'\''s' '-h:show help' '--help:show help') ;;
    'contree cd')
      reply=('-h:show help' '--help:show help') ;;
    'contree env')
      reply=('-U:unset the given keys' '--delete:unset the given keys' '--rm:same as --delete' '-h:show help' '--help:show help') ;;
    'contree file')
      reply=('-h:show help' '--help:show help') ;;
    'contree file edit')
      reply=('-E:editor command (default: $EDITOR, [cli] editor, vim, nano, vi)' '--editor:editor command (default: $EDITOR, [cli] editor, vim, nano, vi)' '-h:show help' '--help:show help') ;;
    'contree file cp')
      reply=('-h:show help' '--help:show help') ;;
    'contree file ls')
      reply=('--since:uploaded after: a date, HH:MM, or an interval ago (1h30m, 2d)' '--until:uploaded before (same syntax as --since)' '--limit:show at most N files' '-q:only uuid, sha256 and source' '--quiet:only uuid, sha256 and source' '-h:show help' '--help:show help') ;;
    'contree file help')
      reply=('-h:show help' '--help:show help') ;;
    'contree shell')
      reply=('-h:show help' '--help:show help') ;;
    'contree build')
      reply=('-f:the Dockerfile (default: CONTEXT/Dockerfile or Containerfile; - reads it from stdin)' '--file:the Dockerfile (default: CONTEXT/Dockerfile or Containerfile; - reads it from stdin)' '--dockerfile:same as --file' '-t:tag the result (once: an image has one tag; `name` means name:latest)' '--tag:tag the result (once: an image has one tag; `name` means name:latest)' '--build-arg:value of an ARG (repeatable; KEY alone takes $KEY)' '--no-cache:run every step again (the step cache is still rewritten)' '--target:build up to this stage (`FROM … AS stage`)' '--timeout:time limit of each RUN step' '--network:networking of RUN steps: default (on, as docker build) or none' '-h:show help' '--help:show help') ;;
    'contree auth')
      reply=('--token:API token (default: $CONTREE_TOKEN, $NEBIUS_API_KEY, or a prompt)' '-u:API base URL (default: $CONTREE_URL)' '--url:API base URL (default: $CONTREE_URL)' '--type:token type' '-P:project id for iam tokens (default: $CONTREE_PROJECT)' '--project:project id for iam tokens (default: $CONTREE_PROJECT)' '-p:profile name (default: the global -p, else '\''default'\'')' '--profile:profile name (default: the global -p, else '\''default'\'')' '-y:overwrite an existing profile without asking' '--force:overwrite an existing profile without asking' '-h:show help' '--help:show help') ;;
    'contree auth list')
      reply=('-O:do not probe the servers' '--offline:do not probe the servers' '-h:show help' '--help:show help') ;;
    'contree auth use')
      reply=('-h:show help' '--help:show help') ;;
    'contree auth remove')
      reply=('-y:do not ask for confirmation' '--force:do not ask for confirmation' '-h:show help' '--help:show help') ;;
    'contree auth help')
      reply=('-h:show help' '--help:show help') ;;
    'contree server')
      reply=('-h:show help' '--help:show help') ;;
    'contree server start')
      reply=('--port:port on 127.0.0.1 (0 = any free port)' '--home:server home (default: $CONTREE_SERVER_HOME, else $CONTREE_HOME/server)' '-d:run in the background; return once the server answers' '--detach:run in the background; return once the server answers' '--concurrency:operations running at once (the rest wait in a queue)' '--keepalive:keepalive comment interval of idle event streams' '--memory:memory of each sandbox, swap included (0 = no limit)' '--cpus:CPUs each sandbox may use (0 = no limit)' '--pids:processes and threads each sandbox may have (0 = no limit)' '--userns:host ids mapped into the user namespace of disposable runs, or '\''off'\''' '--max-output:largest truncate_output_at a run may ask for, per stream (larger requests are clamped)' '-h:show help' '--help:show help') ;;
    'contree server stop')
      reply=('--home:server home (default: $CONTREE_SERVER_HOME, else $CONTREE_HOME/server)' '-h:show help' '--help:show help') ;;
    'contree server status')
      reply=('--home:server home (default: $CONTREE_SERVER_HOME, else $CONTREE_HOME/server)' '-h:show help' '--help:show help') ;;
    'contree server help')
      reply=('-h:show help' '--help:show help') ;;
    'contree task')
      reply=('-h:show help' '--help:show help') ;;
    'contree task new')
      reply=('--name:task name (default: a random adjective-noun)' '-h:show help' '--help:show help') ;;
    'contree task run')
      reply=('--mode:cli: idle container to log into; run: run the project'\''s command (default: the task'\''s recorded mode, else cli)' '--name:name of the new task' '--command:--mode run: shell command instead of the project'\''s run.command' '-h:show help' '--help:show help') ;;
    'contree task list')
      reply=('--status:only tasks with this status' '--mode:only tasks run in this mode' '--no-emoji:plain-text status labels' '-h:show help' '--help:show help') ;;
    'contree task status')
      reply=('--no-emoji:plain-text status labels' '-h:show help' '--help:show help') ;;
    'contree task rename')
      reply=('-h:show help' '--help:show help') ;;
    'contree task stop')
      reply=('--timeout:seconds before SIGKILL (default: the project'\''s run.shutdown_timeout)' '-h:show help' '--help:show help') ;;
    'contree task login')
      reply=('--print:print the podman command instead of running it' '-h:show help' '--help:show help') ;;
    'contree task logs')
      reply=('-f:keep printing new output' '--follow:keep printing new output' '--tail:only the last N lines' '-t:keep podman'\''s timestamps' '--timestamps:keep podman'\''s timestamps' '-h:show help' '--help:show help') ;;
    'contree task wait')
      reply=('--timeout:give up after N seconds (exit 1, nothing recorded)' '-h:show help' '--help:show help') ;;
    'contree task delete')
      reply=('-h:show help' '--help:show help') ;;
    'contree task archive')
      reply=('-h:show help' '--help:show help') ;;
    'contree task archive list')
      reply=('-h:show help' '--help:show help') ;;
    'contree task archive logs')
      reply=('-h:show help' '--help:show help') ;;
    'contree task archive help')
      reply=('-h:show help' '--help:show help') ;;
    'contree task help')
      reply=('-h:show help' '--help:show help') ;;
    'contree project')
      reply=('-h:show help' '--help:show help') ;;
    'contree project new')
      reply=('--image:container image the project'\''s tasks run' '--description:free text' '--tasks-root:where task directories live (default: under the state root)' '--name-categories:comma-separated word categories for random task names' '--shutdown-timeout:seconds `task stop` gives a container before SIGKILL (default 10)' '--command:what `task run --mode run` runs (a shell command)' '--shell:shell for string commands and logins (default /bin/sh)' '--force:replace an existing project.yml' '-h:show help' '--help:show help') ;;
    'contree project list')
      reply=('-h:show help' '--help:show help') ;;
    'contree project show')
      reply=('-h:show help' '--help:show help') ;;
    'contree project help')
      reply=('-h:show help' '--help:show help') ;;
    'contree completion')
      reply=('-h:show help' '--help:show help') ;;
    'contree mcp')
      reply=('--http:serve Streamable HTTP on 127.0.0.1 (bearer token) instead of stdio' '--port:port of --http (0 = any free port)' '-h:show help' '--help:show help') ;;
    'contree agent')
      reply=('-h:show help' '--help:show help') ;;
    'contree skill')
      reply=('-h:show help' '--help:show help') ;;
    'contree skill list')
      reply=('-h:show help' '--help:show help') ;;
    'contree skill install')
      reply=('-y:overwrite an existing install' '--force:overwrite an existing install' '-h:show help' '--help:show help') ;;
    'contree skill remove')
      reply=('-y:do not ask for confirmation' '--force:do not ask for confirmation' '-h:show help' '--help:show help') ;;
    'contree skill upgrade')
      reply=('-h:show help' '--help:show help') ;;
    'contree skill help')
      reply=('-h:show help' '--help:show help') ;;
    'contree help')
      reply=('-h:show help' '--help:show help') ;;
    *) return 1 ;;
  esac
}

# _contree_takes_value PATH OPTION: whether OPTION of PATH takes a value.
_contree_takes_value() {
  case "$1/$2" in
    'contree/-p'|'contree/--profile'|'contree/--token'|'contree/-u'|'contree/--url'|'contree/-P'|'contree/--project'|'contree/-c'|'contree/--config'|'contree/-L'|'contree/--log-level'|'contree/-f'|'contree/--format'|'contree/-S'|'contree/--session')
      return 0 ;;
    'contree run/-t'|'contree run/--timeout'|'contree run/-C'|'contree run/--cwd'|'contree run/-e'|'contree run/--env'|'contree run/-H'|'contree run/--hostname'|'contree run/-F'|'contree run/--file'|'contree run/--file-excludes'|'contree run/-T'|'contree run/--truncate'|'contree run/--use')
      return 0 ;;
    'contree operation list/--status'|'contree operation list/-k'|'contree operation list/--kind'|'contree operation list/--since'|'contree operation list/--until'|'contree operation list/-M'|'contree operation list/--show-max')
      return 0 ;;
    'contree operation wait/-t'|'contree operation wait/--timeout')
      return 0 ;;
    'contree ps/--status'|'contree ps/-k'|'contree ps/--kind'|'contree ps/--since'|'contree ps/--until'|'contree ps/-M'|'contree ps/--show-max')
      return 0 ;;
    'contree session list/--filter')
      return 0 ;;
    'contree session branch/--from')
      return 0 ;;
    'contree session show/-k'|'contree session show/--kind'|'contree session show/-l'|'contree session show/--last'|'contree session show/--since'|'contree session show/--until')
      return 0 ;;
    'contree images/--prefix'|'contree images/-i'|'contree images/--uuid'|'contree images/--since'|'contree images/--until'|'contree images/--limit')
      return 0 ;;
    'contree images list/--prefix'|'contree images list/-i'|'contree images list/--uuid'|'contree images list/--since'|'contree images list/--until'|'contree images list/--limit')
      return 0 ;;
    'contree images import/--username'|'contree images import/--password'|'contree images import/-t'|'contree images import/--timeout')
      return 0 ;;
    'contree ls/--image')
      return 0 ;;
    'contree cat/--image')
      return 0 ;;
    'contree cp/--image')
      return 0 ;;
    'contree file edit/-E'|'contree file edit/--editor')
      return 0 ;;
    'contree file ls/--since'|'contree file ls/--until'|'contree file ls/--limit')
      return 0 ;;
    'contree build/-f'|'contree build/--file'|'contree build/--dockerfile'|'contree build/-t'|'contree build/--tag'|'contree build/--build-arg'|'contree build/--target'|'contree build/--timeout'|'contree build/--network')
      return 0 ;;
    'contree auth/--token'|'contree auth/-u'|'contree auth/--url'|'contree auth/--type'|'contree auth/-P'|'contree auth/--project'|'contree auth/-p'|'contree auth/--profile')
      return 0 ;;
    'contree server start/--port'|'contree server start/--home'|'contree server start/--concurrency'|'contree server start/--keepalive'|'contree server start/--memory'|'contree server start/--cpus'|'contree server start/--pids'|'contree server start/--userns'|'contree server start/--max-output'|'contree server start/--log-file')
      return 0 ;;
    'contree server stop/--home')
      return 0 ;;
    'contree server status/--home')
      return 0 ;;
    'contree task new/--name')
      return 0 ;;
    'contree task run/--mode'|'contree task run/--name'|'contree task run/--command')
      return 0 ;;
    'contree task list/--status'|'contree task list/--mode')
      return 0 ;;
    'contree task stop/--timeout')
      return 0 ;;
    'contree task logs/--tail')
      return 0 ;;
    'contree task wait/--timeout')
      return 0 ;;
    'contree project new/--image'|'contree project new/--description'|'contree project new/--tasks-root'|'contree project new/--name-categories'|'contree project new/--shutdown-timeout'|'contree project new/--command'|'contree project new/--shell')
      return 0 ;;
    'contree mcp/--port')
      return 0 ;;
    *) return 1 ;;
  esac
}

# _contree_option_choices PATH OPTION: the values OPTION of PATH accepts.
_contree_option_choices() {
  case "$1/$2" in
    'contree/-L'|'contree/--log-level')
      REPLY='debug info warning error critical' ;;
    'contree/-f'|'contree/--format')
      REPLY='default plain json json-pretty table csv tsv toml' ;;
    'contree operation list/--status')
      REPLY='P PENDING A ASSIGNED E EXECUTING S SUCCESS F FAILED C CANCELLED' ;;
    'contree operation list/-k'|'contree operation list/--kind')
      REPLY='image_import instance' ;;
    'contree ps/--status')
      REPLY='P PENDING A ASSIGNED E EXECUTING S SUCCESS F FAILED C CANCELLED' ;;
    'contree ps/-k'|'contree ps/--kind')
      REPLY='image_import instance' ;;
    'contree build/--network')
      REPLY='default none' ;;
    'contree auth/--type')
      REPLY='iam jwt' ;;
    'contree task run/--mode')
      REPLY='cli run' ;;
    'contree task list/--status')
      REPLY='running init starting stopped completed failed created deleting' ;;
    'contree task list/--mode')
      REPLY='cli run' ;;
    *) return 1 ;;
  esac
}

# _contree_takes_command_line PATH: whether PATH's words after its first argument are a command.
_contree_takes_command_line() {
  case "$1" in
    'contree run')
      return 0 ;;
    *) return 1 ;;
  esac
}

# _contree_argument_choices PATH N: the values the Nth argument (from 0) of PATH accepts.
_contree_argument_choices() {
  case "$1" in
    'contree operation help')
      if (( $2 >= 0 )); then REPLY='list show wait cancel events'; else return 1; fi ;;
    'contree session help')
      if (( $2 >= 0 )); then REPLY='list use branch checkout rollback forward show wait prune delete'; else return 1; fi ;;
    'contree images help')
      if (( $2 >= 0 )); then REPLY='list import'; else return 1; fi ;;
    'contree file help')
      if (( $2 >= 0 )); then REPLY='edit cp ls'; else return 1; fi ;;
    'contree auth help')
      if (( $2 >= 0 )); then REPLY='list use remove'; else return 1; fi ;;
    'contree server help')
      if (( $2 >= 0 )); then REPLY='start stop status'; else return 1; fi ;;
    'contree task archive help')
      if (( $2 >= 0 )); then REPLY='list logs'; else return 1; fi ;;
    'contree task help')
      if (( $2 >= 0 )); then REPLY='new run list status rename stop login logs wait delete archive'; else return 1; fi ;;
    'contree project help')
      if (( $2 >= 0 )); then REPLY='new list show'; else return 1; fi ;;
    'contree completion')
      if (( $2 == 0 )); then REPLY='bash zsh fish'; else return 1; fi ;;
    'contree agent')
      if (( $2 == 0 )); then REPLY='all core_workflow core sessions images_and_tags images files_and_directories files execution_modes execution command_safety command output_formats output profiles interactive_shell interactive agent_tools agent mcp_server mcp all_commands'; else return 1; fi ;;
    'contree skill help')
      if (( $2 >= 0 )); then REPLY='list install remove upgrade'; else return 1; fi ;;
    'contree help')
      if (( $2 >= 0 )); then REPLY='use run operation ps show kill session images tag ls cat cp cd env file shell build auth server task project completion mcp agent skill'; else return 1; fi ;;
    *) return 1 ;;
  esac
}

_contree() {
  local cmdpath=contree word cur option REPLY
  local -a reply
  local -i i positional=0 expect=0 dashdash=0 found=0
  for (( i = 2; i < CURRENT; i++ )); do
    word=${words[i]}
    if (( dashdash )); then (( positional += 1 )); continue; fi
    if (( expect )); then
      [[ $word == "=" ]] || expect=0 # bash splits --opt=value into --opt, =, value
      continue
    fi
    case $word in
      --) dashdash=1 ;;
      -*=*) ;;
      -*) _contree_takes_value "$cmdpath" "$word" && expect=1 ;;
      *)
        if (( positional == 0 )) && _contree_child "$cmdpath" "$word"; then
          cmdpath=$REPLY
        else
          (( positional += 1 ))
          # run's sandbox command: its words are not contree's (as after --)
          _contree_takes_command_line "$cmdpath" && dashdash=1
        fi
        ;;
    esac
  done
  cur=${words[CURRENT]}
  if (( dashdash )); then _files; return; fi
  if (( expect )); then
    if _contree_option_choices "$cmdpath" "${words[CURRENT-1]}"; then compadd -- ${=REPLY}; else _files; fi
    return
  fi
  if [[ $cur == -*=* ]]; then # --option=value
    option=${cur%%=*}
    compset -P '*='
    if _contree_option_choices "$cmdpath" "$option"; then compadd -- ${=REPLY}; else _files; fi
    return
  fi
  if [[ $cur == -* ]]; then
    _contree_options "$cmdpath" && _describe -t options option reply
    return
  fi
  if (( positional == 0 )) && _contree_commands "$cmdpath"; then
    _describe -t commands command reply && found=1
  fi
  if _contree_argument_choices "$cmdpath" "$positional"; then
    compadd -- ${=REPLY} && found=1
  fi
  (( found )) || _files
}

# Autoloaded from $fpath (#compdef) this file is the body of _contree; sourced, it registers.
if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then
  _contree "$@"
else
  compdef _contree contree
fi

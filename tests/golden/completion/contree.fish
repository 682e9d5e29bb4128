# fish completion for contree, generated from its command tree by
# `contree completion fish`. Regenerate it after upgrading contree.
#
# Install: contree completion fish > ~/.config/fish/completions/contree.fish

# __contree_child PATH WORD: the path of PATH's subcommand WORD (aliases included).
function __contree_child --argument-names cmdpath word
    switch "$cmdpath/$word"
        case 'contree/use' 'contree/ci'
            echo 'contree use'
        case 'contree/run' 'contree/r'
            echo 'contree run'
        case 'contree/operation' 'contree/op'
            echo 'contree operation'
        case 'contree/ps'
            echo 'contree ps'
        case 'contree/show'
            echo 'contree show'
        case 'contree/kill'
            echo 'contree kill'
        case 'contree/session' 'contree/s'
            echo 'contree session'
        case 'contree/images' 'contree/i' 'contree/img'
            echo 'contree images'
        case 'contree/tag' 'contree/t'
            echo 'contree tag'
        case 'contree/ls'
            echo 'contree ls'
        case 'contree/cat'
            echo 'contree cat'
        case 'contree/cp'
            echo 'contree cp'
        case 'contree/cd'
            echo 'contree cd'
        case 'contree/env'
            echo 'contree env'
        case 'contree/file' 'contree/f'
            echo 'contree file'
        case 'contree/shell' 'contree/sh'
            echo 'contree shell'
        case 'contree/build' 'contree/bd'
            echo 'contree build'
        case 'contree/auth'
            echo 'contree auth'
        case 'contree/server'
            echo 'contree server'
        case 'contree/task'
            echo 'contree task'
        case 'contree/project'
            echo 'contree project'
        case 'contree/completion'
            echo 'contree completion'
        case 'contree/mcp'
            echo 'contree mcp'
        case 'contree/agent' 'contree/man'
            echo 'contree agent'
        case 'contree/skill'
            echo 'contree skill'
        case 'contree/help'
            echo 'contree help'
        case 'contree operation/list' 'contree operation/ls'
            echo 'contree operation list'
        case 'contree operation/show' 'contree operation/sh'
            echo 'contree operation show'
        case 'contree operation/wait' 'contree operation/w'
            echo 'contree operation wait'
        case 'contree operation/cancel' 'contree operation/kill' 'contree operation/k'
            echo 'contree operation cancel'
        case 'contree operation/events' 'contree operation/ev'
            echo 'contree operation events'
        case 'contree operation/help'
            echo 'contree operation help'
        case 'contree session/list' 'contree session/ls'
            echo 'contree session list'
        case 'contree session/use'
            echo 'contree session use'
        case 'contree session/branch' 'contree session/br'
            echo 'contree session branch'
        case 'contree session/checkout' 'contree session/co'
            echo 'contree session checkout'
        case 'contree session/rollback' 'contree session/rb'
            echo 'contree session rollback'
        case 'contree session/forward' 'contree session/fw'
            echo 'contree session forward'
        case 'contree session/show' 'contree session/history'
            echo 'contree session show'
        case 'contree session/wait'
            echo 'contree session wait'
        case 'contree session/prune'
            echo 'contree session prune'
        case 'contree session/delete' 'contree session/rm' 'contree session/del'
            echo 'contree session delete'
        case 'contree session/help'
            echo 'contree session help'
        case 'contree images/list' 'contree images/ls'
            echo 'contree images list'
        case 'contree images/import'
            echo 'contree images import'
        case 'contree images/help'
            echo 'contree images help'
        case 'contree file/edit' 'contree file/e'
            echo 'contree file edit'
        case 'contree file/cp'
            echo 'contree file cp'
        case 'contree file/ls' 'contree file/list'
            echo 'contree file ls'
        case 'contree file/help'
            echo 'contree file help'
        case 'contree auth/list' 'contree auth/ls' 'contree auth/profiles'
            echo 'contree auth list'
        case 'contree auth/use' 'contree auth/switch'
            echo 'contree auth use'
        case 'contree auth/remove' 'contree auth/rm' 'contree auth/del'
            echo 'contree auth remove'
        case 'contree auth/help'
            echo 'contree auth help'
        case 'contree server/start'
            echo 'contree server start'
        case 'contree server/stop'
            echo 'contree server stop'
        case 'contree server/status'
            echo 'contree server status'
        case 'contree server/help'
            echo 'contree server help'
        case 'contree task/new'
            echo 'contree task new'
        case 'contree task/run'
            echo 'contree task run'
        case 'contree task/list' 'contree task/ls'
            echo 'contree task list'
        case 'contree task/status'
            echo 'contree task status'
        case 'contree task/rename'
            echo 'contree task rename'
        case 'contree task/stop'
            echo 'contree task stop'
        case 'contree task/login'
            echo 'contree task login'
        case 'contree task/logs'
            echo 'contree task logs'
        case 'contree task/wait'
            echo 'contree task wait'
        case 'contree task/delete' 'contree task/rm'
            echo 'contree task delete'
        case 'contree task/archive'
            echo 'contree task archive'
        case 'contree task/help'
            echo 'contree task help'
        case 'contree task archive/list' 'contree task archive/ls'
            echo 'contree task archive list'
        case 'contree task archive/logs'
            echo 'contree task archive logs'
        case 'contree task archive/help'
            echo 'contree task archive help'
        case 'contree project/new' 'contree project/init'
            echo 'contree project new'
        case 'contree project/list' 'contree project/ls'
            echo 'contree project list'
        case 'contree project/show'
            echo 'contree project show'
        case 'contree project/help'
            echo 'contree project help'
        case 'contree skill/list' 'contree skill/ls'
            echo 'contree skill list'
        case 'contree skill/install' 'contree skill/i'
            echo 'contree skill install'
        case 'contree skill/remove' 'contree skill/r' 'contree skill/rm' 'contree skill/del'
            echo 'contree skill remove'
        case 'contree skill/upgrade' 'contree skill/u' 'contree skill/update'
            echo 'contree skill upgrade'
        case 'contree skill/help'
            echo 'contree skill help'
        case '*'
            return 1
    end
end

# __contree_takes_value PATH OPTION: whether OPTION of PATH takes a value.
function __contree_takes_value --argument-names cmdpath word
    switch "$cmdpath/$word"
        case 'contree/-p' 'contree/--profile' 'contree/--token' 'contree/-u' 'contree/--url' 'contree/-P' 'contree/--project' 'contree/-c' 'contree/--config' 'contree/-L' 'contree/--log-level' 'contree/-f' 'contree/--format' 'contree/-S' 'contree/--session'
            return 0
        case 'contree run/-t' 'contree run/--timeout' 'contree run/-C' 'contree run/--cwd' 'contree run/-e' 'contree run/--env' 'contree run/-H' 'contree run/--hostname' 'contree run/-F' 'contree run/--file' 'contree run/--file-excludes' 'contree run/-T' 'contree run/--truncate' 'contree run/--use'
            return 0
        case 'contree operation list/--status' 'contree operation list/-k' 'contree operation list/--kind' 'contree operation list/--since' 'contree operation list/--until' 'contree operation list/-M' 'contree operation list/--show-max'
            return 0
        case 'contree operation wait/-t' 'contree operation wait/--timeout'
            return 0
        case 'contree ps/--status' 'contree ps/-k' 'contree ps/--kind' 'contree ps/--since' 'contree ps/--until' 'contree ps/-M' 'contree ps/--show-max'
            return 0
        case 'contree session list/--filter'
            return 0
        case 'contree session branch/--from'
            return 0
        case 'contree session show/-k' 'contree session show/--kind' 'contree session show/-l' 'contree session show/--last' 'contree session show/--since' 'contree session show/--until'
            return 0
        case 'contree images/--prefix' 'contree images/-i' 'contree images/--uuid' 'contree images/--since' 'contree images/--until' 'contree images/--limit'
            return 0
        case 'contree images list/--prefix' 'contree images list/-i' 'contree images list/--uuid' 'contree images list/--since' 'contree images list/--until' 'contree images list/--limit'
            return 0
        case 'contree images import/--username' 'contree images import/--password' 'contree images import/-t' 'contree images import/--timeout'
            return 0
        case 'contree ls/--image'
            return 0
        case 'contree cat/--image'
            return 0
        case 'contree cp/--image'
            return 0
        case 'contree file edit/-E' 'contree file edit/--editor'
            return 0
        case 'contree file ls/--since' 'contree file ls/--until' 'contree file ls/--limit'
            return 0
        case 'contree build/-f' 'contree build/--file' 'contree build/--dockerfile' 'contree build/-t' 'contree build/--tag' 'contree build/--build-arg' 'contree build/--target' 'contree build/--timeout' 'contree build/--network'
            return 0
        case 'contree auth/--token' 'contree auth/-u' 'contree auth/--url' 'contree auth/--type' 'contree auth/-P' 'contree auth/--project' 'contree auth/-p' 'contree auth/--profile'
            return 0
        case 'contree server start/--port' 'contree server start/--home' 'contree server start/--concurrency' 'contree server start/--keepalive' 'contree server start/--memory' 'contree server start/--cpus' 'contree server start/--pids' 'contree server start/--userns' 'contree server start/--max-output' 'contree server start/--log-file'
            return 0
        case 'contree server stop/--home'
            return 0
        case 'contree server status/--home'
            return 0
        case 'contree task new/--name'
            return 0
        case 'contree task run/--mode' 'contree task run/--name' 'contree task run/--command'
            return 0
        case 'contree task list/--status' 'contree task list/--mode'
            return 0
        case 'contree task stop/--timeout'
            return 0
        case 'contree task logs/--tail'
            return 0
        case 'contree task wait/--timeout'
            return 0
        case 'contree project new/--image' 'contree project new/--description' 'contree project new/--tasks-root' 'contree project new/--name-categories' 'contree project new/--shutdown-timeout' 'contree project new/--command' 'contree project new/--shell'
            return 0
        case 'contree mcp/--port'
            return 0
        case '*'
            return 1
    end
end

# __contree_takes_command_line PATH '': whether PATH's words after its first argument are a command.
function __contree_takes_command_line --argument-names cmdpath word
    switch "$cmdpath/$word"
        case 'contree run/'
            return 0
        case '*'
            return 1
    end
end

# The path of the (sub)command being completed: options and their values are skipped,
# subcommand names move the path, anything else is a positional argument.
function __contree_path
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l cmdpath contree
    set -l child
    set -l expect 0
    set -l positional 0
    for word in $tokens
        if test $expect -eq 1
            set expect 0
            continue
        end
        if test "$word" = --
            set cmdpath "$cmdpath --" # the sandbox command follows: no contree rule applies
            break
        end
        switch $word
            case '-*=*'
            case '-*'
                if __contree_takes_value $cmdpath $word
                    set expect 1
                end
            case '*'
                if test $positional -eq 0; and set child (__contree_child $cmdpath $word)
                    set cmdpath $child
                else
                    set positional (math $positional + 1)
                    if __contree_takes_command_line $cmdpath ''
                        set cmdpath "$cmdpath --" # run's sandbox command: not contree's words
                        break
                    end
                end
        end
    end
    echo $cmdpath
    echo $positional
end

# __contree_is PATH [FROM [TO]]: whether the cursor is in PATH, after FROM to TO positional
# arguments (computed once per command line).
function __contree_is
    set -l line (commandline -pc)
    if test "$line" != "$__contree_cached_line"
        set -g __contree_cached_line "$line"
        set -l walked (__contree_path)
        set -g __contree_cached_path $walked[1]
        set -g __contree_cached_positional $walked[2]
    end
    test "$__contree_cached_path" = "$argv[1]"; or return 1
    if set -q argv[2]; and test $__contree_cached_positional -lt $argv[2]
        return 1
    end
    if set -q argv[3]; and test $__contree_cached_positional -gt $argv[3]
        return 1
    end
end

complete -c contree -e

# contree
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'use' -d 'set the session image (UUID, tag:NAME or NAME) and print `export CONTREE_SESSION=…`; without IMAGE, show the session'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'ci' -d 'set the session image (UUID, tag:NAME or NAME) and print `export CONTREE_SESSION=…`; without IMAGE, show the session'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'run' -d 'run a command in a sandbox from the session image; output streams live'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'r' -d 'run a command in a sandbox from the session image; output streams live'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'operation' -d 'manage operations: list, show, wait, cancel, events'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'op' -d 'manage operations: list, show, wait, cancel, events'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'ps' -d 'list operations (default: EXECUTING only)'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'show' -d 'show one or more operation results'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'kill' -d 'cancel one or more operations (or --all active ones)'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'session' -d 'sessions: history, branches, rollback; without a subcommand, the current one'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 's' -d 'sessions: history, branches, rollback; without a subcommand, the current one'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'images' -d 'list images (default) and import them from registries'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'i' -d 'list images (default) and import them from registries'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'img' -d 'list images (default) and import them from registries'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'tag' -d 'tag an image (default: the session\'s current image), or remove a tag with -U'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 't' -d 'tag an image (default: the session\'s current image), or remove a tag with -U'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'ls' -d 'list a directory of the image (default: the session cwd)'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'cat' -d 'write a file of the image to stdout'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'cp' -d 'copy a file or a directory of the image to a local path'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'cd' -d 'change the session\'s working directory (checked in the image); no PATH prints it'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'env' -d 'show, set (K=V …) or unset (-U K …) the session\'s environment variables'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'file' -d 'stage files for the next run (edit, cp) and list uploaded files (ls)'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'f' -d 'stage files for the next run (edit, cp) and list uploaded files (ls)'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'shell' -d 'an interactive shell on the session: bare lines run in the sandbox, `contree …` runs commands'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'sh' -d 'an interactive shell on the session: bare lines run in the sandbox, `contree …` runs commands'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'build' -d 'build an image from a Dockerfile: FROM/RUN/COPY/ADD/ENV/ARG/WORKDIR/USER/SHELL, multi-stage, cached steps; RUN output streams live'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'bd' -d 'build an image from a Dockerfile: FROM/RUN/COPY/ADD/ENV/ARG/WORKDIR/USER/SHELL, multi-stage, cached steps; RUN output streams live'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'auth' -d 'register or update a profile (verifies the token with GET /v1/whoami)'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'server' -d 'the local ConTree server on podman: the ConTree API on 127.0.0.1, offline'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'task' -d 'long-lived podman task containers with persistent workspaces'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'project' -d 'projects for task containers (project.yml under $CONTREE_HOME/projects)'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'completion' -d 'print a shell completion script (commands, aliases, options, choices)'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'mcp' -d 'serve the Model Context Protocol (stdio, or --http on 127.0.0.1) for agent hosts'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'agent' -d 'the manual for coding agents (workflow, sessions, safety, all commands)'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'man' -d 'the manual for coding agents (workflow, sessions, safety, all commands)'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'skill' -d 'install the contree skill for agent tools (Codex, Claude Code, OpenCode, …)'
complete -c contree -f -n '__contree_is \'contree\' 0 0' -a 'help' -d 'show help for a command (`help task run`)'
complete -c contree -n '__contree_is \'contree\'' -s 'p' -l 'profile' -r -d 'profile for this invocation (default: $CONTREE_PROFILE, then the active one)'
complete -c contree -n '__contree_is \'contree\'' -l 'token' -r -d 'token for this invocation'
complete -c contree -n '__contree_is \'contree\'' -s 'u' -l 'url' -r -d 'API base URL for this invocation'
complete -c contree -n '__contree_is \'contree\'' -s 'P' -l 'project' -r -d 'project for this invocation'
complete -c contree -n '__contree_is \'contree\'' -s 'c' -l 'config' -r -d 'credentials file (default: $CONTREE_HOME/auth.ini)'
complete -c contree -n '__contree_is \'contree\'' -s 'L' -l 'log-level' -x -a 'debug info warning error critical' -d 'log level'
complete -c contree -n '__contree_is \'contree\'' -s 'f' -l 'format' -x -a 'default plain json json-pretty table csv tsv toml' -d 'output format'
complete -c contree -n '__contree_is \'contree\'' -s 'S' -l 'session' -r -d 'session key (default: $CONTREE_SESSION or derived from the terminal)'
complete -c contree -n '__contree_is \'contree\'' -s 'v' -l 'version' -d 'print the version and exit'
complete -c contree -n '__contree_is \'contree\'' -s 'h' -l 'help' -d 'show help'

# contree use
complete -c contree -n '__contree_is \'contree use\'' -s 'N' -l 'new' -d 'start a new session with a random key'
complete -c contree -n '__contree_is \'contree use\'' -s 'h' -l 'help' -d 'show help'

# contree run
complete -c contree -n '__contree_is \'contree run\'' -s 't' -l 'timeout' -r -d 'time limit of the command'
complete -c contree -n '__contree_is \'contree run\'' -s 'C' -l 'cwd' -r -d 'working directory (default: the session cwd (`contree cd`), else the server\'s: /root)'
complete -c contree -n '__contree_is \'contree run\'' -s 'e' -l 'env' -r -d 'environment variable, one per flag (repeatable)'
complete -c contree -n '__contree_is \'contree run\'' -s 'H' -l 'hostname' -r -d 'hostname of the sandbox'
complete -c contree -n '__contree_is \'contree run\'' -s 'D' -l 'disposable' -d 'do not keep the result image; the session does not advance'
complete -c contree -n '__contree_is \'contree run\'' -s 'I' -l 'interpreter' -d 'COMMAND is a local script with a shebang, run by /bin/sh in the sandbox'
complete -c contree -n '__contree_is \'contree run\'' -s 's' -l 'shell' -d 'run COMMAND through sh -c (several words are quoted and joined)'
complete -c contree -n '__contree_is \'contree run\'' -s 'F' -l 'file' -r -d 'attach a host file or directory: host[:/sandbox/path][:u<uid>][:g<gid>][:m<mode>] (repeatable)'
complete -c contree -n '__contree_is \'contree run\'' -l 'file-excludes' -r -d 'extra glob patterns to skip in directory attachments'
complete -c contree -n '__contree_is \'contree run\'' -s 'T' -l 'truncate' -r -d 'cap on captured stdout/stderr'
complete -c contree -n '__contree_is \'contree run\'' -l 'preserve-env' -d 'keep the environment in the result image for later runs'
complete -c contree -n '__contree_is \'contree run\'' -s 'd' -l 'detach' -d 'return after spawning (see `contree session wait`, `contree op wait`)'
complete -c contree -n '__contree_is \'contree run\'' -l 'no-wait' -d 'same as --detach'
complete -c contree -n '__contree_is \'contree run\'' -l 'use' -r -d 'start from IMAGE (recorded in the session first)'
complete -c contree -n '__contree_is \'contree run\'' -s 'h' -l 'help' -d 'show help'

# contree operation
complete -c contree -f -n '__contree_is \'contree operation\' 0 0' -a 'list' -d 'list operations (default: EXECUTING only)'
complete -c contree -f -n '__contree_is \'contree operation\' 0 0' -a 'ls' -d 'list operations (default: EXECUTING only)'
complete -c contree -f -n '__contree_is \'contree operation\' 0 0' -a 'show' -d 'show one or more operation results'
complete -c contree -f -n '__contree_is \'contree operation\' 0 0' -a 'sh' -d 'show one or more operation results'
complete -c contree -f -n '__contree_is \'contree operation\' 0 0' -a 'wait' -d 'wait until operations reach a terminal status (all at once)'
complete -c contree -f -n '__contree_is \'contree operation\' 0 0' -a 'w' -d 'wait until operations reach a terminal status (all at once)'
complete -c contree -f -n '__contree_is \'contree operation\' 0 0' -a 'cancel' -d 'cancel one or more operations (or --all active ones)'
complete -c contree -f -n '__contree_is \'contree operation\' 0 0' -a 'kill' -d 'cancel one or more operations (or --all active ones)'
complete -c contree -f -n '__contree_is \'contree operation\' 0 0' -a 'k' -d 'cancel one or more operations (or --all active ones)'
complete -c contree -f -n '__contree_is \'contree operation\' 0 0' -a 'events' -d 'print each operation\'s whole event log, one row per event'
complete -c contree -f -n '__contree_is \'contree operation\' 0 0' -a 'ev' -d 'print each operation\'s whole event log, one row per event'
complete -c contree -f -n '__contree_is \'contree operation\' 0 0' -a 'help' -d 'show help for a command'
complete -c contree -n '__contree_is \'contree operation\'' -s 'h' -l 'help' -d 'show help'

# contree operation list
complete -c contree -n '__contree_is \'contree operation list\'' -s 'q' -l 'quiet' -d 'only print UUIDs, one per line'
complete -c contree -n '__contree_is \'contree operation list\'' -s 'a' -l 'all' -d 'all operations (default: EXECUTING only)'
complete -c contree -n '__contree_is \'contree operation list\'' -l 'status' -x -a 'P PENDING A ASSIGNED E EXECUTING S SUCCESS F FAILED C CANCELLED' -d 'filter by status (letters expand)'
complete -c contree -n '__contree_is \'contree operation list\'' -s 'k' -l 'kind' -x -a 'image_import instance' -d 'filter by kind'
complete -c contree -n '__contree_is \'contree operation list\'' -l 'since' -r -d 'only after: an ISO date/time or a relative interval (15m, 2h, 3d)'
complete -c contree -n '__contree_is \'contree operation list\'' -l 'until' -r -d 'only before: an ISO date/time or a relative interval'
complete -c contree -n '__contree_is \'contree operation list\'' -s 'M' -l 'show-max' -r -d 'show at most N operations'
complete -c contree -n '__contree_is \'contree operation list\'' -s 'h' -l 'help' -d 'show help'

# contree operation show
complete -c contree -n '__contree_is \'contree operation show\'' -l 'raw' -d 'print each operation\'s full server payload as JSONL, verbatim'
complete -c contree -n '__contree_is \'contree operation show\'' -s 'h' -l 'help' -d 'show help'

# contree operation wait
complete -c contree -n '__contree_is \'contree operation wait\'' -s 'a' -l 'all' -d 'wait for every active operation'
complete -c contree -n '__contree_is \'contree operation wait\'' -s 't' -l 'timeout' -r -d 'give up after this long (exit 1)'
complete -c contree -n '__contree_is \'contree operation wait\'' -s 'h' -l 'help' -d 'show help'

# contree operation cancel
complete -c contree -n '__contree_is \'contree operation cancel\'' -s 'a' -l 'all' -d 'cancel every active operation'
complete -c contree -n '__contree_is \'contree operation cancel\'' -s 'h' -l 'help' -d 'show help'

# contree operation events
complete -c contree -n '__contree_is \'contree operation events\'' -s 'h' -l 'help' -d 'show help'

# contree operation help
complete -c contree -n '__contree_is \'contree operation help\'' -s 'h' -l 'help' -d 'show help'
complete -c contree -f -n '__contree_is \'contree operation help\' 0' -a 'list show wait cancel events'

# contree ps
complete -c contree -n '__contree_is \'contree ps\'' -s 'q' -l 'quiet' -d 'only print UUIDs, one per line'
complete -c contree -n '__contree_is \'contree ps\'' -s 'a' -l 'all' -d 'all operations (default: EXECUTING only)'
complete -c contree -n '__contree_is \'contree ps\'' -l 'status' -x -a 'P PENDING A ASSIGNED E EXECUTING S SUCCESS F FAILED C CANCELLED' -d 'filter by status (letters expand)'
complete -c contree -n '__contree_is \'contree ps\'' -s 'k' -l 'kind' -x -a 'image_import instance' -d 'filter by kind'
complete -c contree -n '__contree_is \'contree ps\'' -l 'since' -r -d 'only after: an ISO date/time or a relative interval (15m, 2h, 3d)'
complete -c contree -n '__contree_is \'contree ps\'' -l 'until' -r -d 'only before: an ISO date/time or a relative interval'
complete -c contree -n '__contree_is \'contree ps\'' -s 'M' -l 'show-max' -r -d 'show at most N operations'
complete -c contree -n '__contree_is \'contree ps\'' -s 'h' -l 'help' -d 'show help'

# contree show
complete -c contree -n '__contree_is \'contree show\'' -l 'raw' -d 'print each operation\'s full server payload as JSONL, verbatim'
complete -c contree -n '__contree_is \'contree show\'' -s 'h' -l 'help' -d 'show help'

# contree kill
complete -c contree -n '__contree_is \'contree kill\'' -s 'a' -l 'all' -d 'cancel every active operation'
complete -c contree -n '__contree_is \'contree kill\'' -s 'h' -l 'help' -d 'show help'

# contree session
complete -c contree -f -n '__contree_is \'contree session\' 0 0' -a 'list' -d 'list sessions, most recently updated first'
complete -c contree -f -n '__contree_is \'contree session\' 0 0' -a 'ls' -d 'list sessions, most recently updated first'
complete -c contree -f -n '__contree_is \'contree session\' 0 0' -a 'use' -d 'continue this session from another session\'s current image'
complete -c contree -f -n '__contree_is \'contree session\' 0 0' -a 'branch' -d 'list branches; create NAME (without switching); --delete NAME; --prune'
complete -c contree -f -n '__contree_is \'contree session\' 0 0' -a 'br' -d 'list branches; create NAME (without switching); --delete NAME; --prune'
complete -c contree -f -n '__contree_is \'contree session\' 0 0' -a 'checkout' -d 'switch the active branch'
complete -c contree -f -n '__contree_is \'contree session\' 0 0' -a 'co' -d 'switch the active branch'
complete -c contree -f -n '__contree_is \'contree session\' 0 0' -a 'rollback' -d 'move the active branch: -N back N (default -1), N to history entry N, +N forward N, or a reference such as HEAD~2'
complete -c contree -f -n '__contree_is \'contree session\' 0 0' -a 'rb' -d 'move the active branch: -N back N (default -1), N to history entry N, +N forward N, or a reference such as HEAD~2'
complete -c contree -f -n '__contree_is \'contree session\' 0 0' -a 'forward' -d 'move the active branch forward N entries (newest child each time)'
complete -c contree -f -n '__contree_is \'contree session\' 0 0' -a 'fw' -d 'move the active branch forward N entries (newest child each time)'
complete -c contree -f -n '__contree_is \'contree session\' 0 0' -a 'show' -d 'history of this session (or NAME), oldest first; the last 20 unless --all'
complete -c contree -f -n '__contree_is \'contree session\' 0 0' -a 'history' -d 'history of this session (or NAME), oldest first; the last 20 unless --all'
complete -c contree -f -n '__contree_is \'contree session\' 0 0' -a 'wait' -d 'wait for operations (no timeout); without arguments, for this session\'s detached runs, advancing the session on success'
complete -c contree -f -n '__contree_is \'contree session\' 0 0' -a 'prune' -d 'delete the detached-* and disposable-* branches (same as branch --prune)'
complete -c contree -f -n '__contree_is \'contree session\' 0 0' -a 'delete' -d 'delete sessions and their history'
complete -c contree -f -n '__contree_is \'contree session\' 0 0' -a 'rm' -d 'delete sessions and their history'
complete -c contree -f -n '__contree_is \'contree session\' 0 0' -a 'del' -d 'delete sessions and their history'
complete -c contree -f -n '__contree_is \'contree session\' 0 0' -a 'help' -d 'show help for a command'
complete -c contree -n '__contree_is \'contree session\'' -s 'h' -l 'help' -d 'show help'

# contree session list
complete -c contree -n '__contree_is \'contree session list\'' -l 'filter' -r -d 'only keys containing TEXT'
complete -c contree -n '__contree_is \'contree session list\'' -s 'h' -l 'help' -d 'show help'

# contree session use
complete -c contree -n '__contree_is \'contree session use\'' -s 'h' -l 'help' -d 'show help'

# contree session branch
complete -c contree -n '__contree_is \'contree session branch\'' -l 'from' -r -d 'create from this branch\'s tip (default: the active branch)'
complete -c contree -n '__contree_is \'contree session branch\'' -s 'U' -l 'delete' -d 'delete branch NAME'
complete -c contree -n '__contree_is \'contree session branch\'' -l 'rm' -d 'same as --delete'
complete -c contree -n '__contree_is \'contree session branch\'' -l 'prune' -d 'delete the detached-* and disposable-* branches'
complete -c contree -n '__contree_is \'contree session branch\'' -s 'h' -l 'help' -d 'show help'

# contree session checkout
complete -c contree -n '__contree_is \'contree session checkout\'' -s 'h' -l 'help' -d 'show help'

# contree session rollback
complete -c contree -n '__contree_is \'contree session rollback\'' -s 'h' -l 'help' -d 'show help'

# contree session forward
complete -c contree -n '__contree_is \'contree session forward\'' -s 'h' -l 'help' -d 'show help'

# contree session show
complete -c contree -n '__contree_is \'contree session show\'' -s 'a' -l 'all' -d 'every entry'
complete -c contree -n '__contree_is \'contree session show\'' -s 'k' -l 'kind' -r -d 'only entries of this kind (KIND or KIND-*)'
complete -c contree -n '__contree_is \'contree session show\'' -s 'l' -l 'last' -r -d 'only the last N entries (0: all)'
complete -c contree -n '__contree_is \'contree session show\'' -l 'since' -r -d 'created after: a date, HH:MM, or an interval ago (1h30m, 2d)'
complete -c contree -n '__contree_is \'contree session show\'' -l 'until' -r -d 'created before (same syntax as --since)'
complete -c contree -n '__contree_is \'contree session show\'' -s 'h' -l 'help' -d 'show help'

# contree session wait
complete -c contree -n '__contree_is \'contree session wait\'' -s 'h' -l 'help' -d 'show help'

# contree session prune
complete -c contree -n '__contree_is \'contree session prune\'' -s 'h' -l 'help' -d 'show help'

# contree session delete
complete -c contree -n '__contree_is \'contree session delete\'' -s 'y' -l 'force' -d 'do not ask for confirmation'
complete -c contree -n '__contree_is \'contree session delete\'' -s 'h' -l 'help' -d 'show help'

# contree session help
complete -c contree -n '__contree_is \'contree session help\'' -s 'h' -l 'help' -d 'show help'
complete -c contree -f -n '__contree_is \'contree session help\' 0' -a 'list use branch checkout rollback forward show wait prune delete'

# contree images
complete -c contree -f -n '__contree_is \'contree images\' 0 0' -a 'list' -d 'list images (tagged only unless --all)'
complete -c contree -f -n '__contree_is \'contree images\' 0 0' -a 'ls' -d 'list images (tagged only unless --all)'
complete -c contree -f -n '__contree_is \'contree images\' 0 0' -a 'import' -d 'import images from a registry: NAME[:TAG], REGISTRY/PATH[:TAG], docker://…, brace groups (ubuntu:{22.04,24.04}) and ?tag=TAG to choose the tag'
complete -c contree -f -n '__contree_is \'contree images\' 0 0' -a 'help' -d 'show help for a command'
complete -c contree -n '__contree_is \'contree images\'' -l 'prefix' -r -d 'only images whose tag starts with PREFIX'
complete -c contree -n '__contree_is \'contree images\'' -s 'i' -l 'uuid' -r -d 'only the image with this UUID'
complete -c contree -n '__contree_is \'contree images\'' -s 'a' -l 'all' -d 'untagged images too (default: tagged only)'
complete -c contree -n '__contree_is \'contree images\'' -l 'since' -r -d 'created after: a date, HH:MM, or an interval ago (1h30m, 2d)'
complete -c contree -n '__contree_is \'contree images\'' -l 'until' -r -d 'created before (same syntax as --since)'
complete -c contree -n '__contree_is \'contree images\'' -l 'limit' -r -d 'show at most N images'
complete -c contree -n '__contree_is \'contree images\'' -s 'h' -l 'help' -d 'show help'

# contree images list
complete -c contree -n '__contree_is \'contree images list\'' -l 'prefix' -r -d 'only images whose tag starts with PREFIX'
complete -c contree -n '__contree_is \'contree images list\'' -s 'i' -l 'uuid' -r -d 'only the image with this UUID'
complete -c contree -n '__contree_is \'contree images list\'' -s 'a' -l 'all' -d 'untagged images too (default: tagged only)'
complete -c contree -n '__contree_is \'contree images list\'' -l 'since' -r -d 'created after: a date, HH:MM, or an interval ago (1h30m, 2d)'
complete -c contree -n '__contree_is \'contree images list\'' -l 'until' -r -d 'created before (same syntax as --since)'
complete -c contree -n '__contree_is \'contree images list\'' -l 'limit' -r -d 'show at most N images'
complete -c contree -n '__contree_is \'contree images list\'' -s 'h' -l 'help' -d 'show help'

# contree images import
complete -c contree -n '__contree_is \'contree images import\'' -l 'username' -r -d 'registry user (the password is asked when not given)'
complete -c contree -n '__contree_is \'contree images import\'' -l 'password' -r -d 'registry password'
complete -c contree -n '__contree_is \'contree images import\'' -s 't' -l 'timeout' -r -d 'server-side import timeout'
complete -c contree -n '__contree_is \'contree images import\'' -s 'h' -l 'help' -d 'show help'

# contree images help
complete -c contree -n '__contree_is \'contree images help\'' -s 'h' -l 'help' -d 'show help'
complete -c contree -f -n '__contree_is \'contree images help\' 0' -a 'list import'

# contree tag
complete -c contree -n '__contree_is \'contree tag\'' -s 'U' -l 'delete' -d 'remove the tag instead of setting it'
complete -c contree -n '__contree_is \'contree tag\'' -l 'rm' -d 'same as --delete'
complete -c contree -n '__contree_is \'contree tag\'' -s 'h' -l 'help' -d 'show help'

# contree ls
complete -c contree -n '__contree_is \'contree ls\'' -l 'image' -r -d 'read this image (UUID, tag:NAME, NAME) instead of the session\'s'
complete -c contree -n '__contree_is \'contree ls\'' -s 'h' -l 'help' -d 'show help'

# contree cat
complete -c contree -n '__contree_is \'contree cat\'' -l 'image' -r -d 'read this image (UUID, tag:NAME, NAME) instead of the session\'s'
complete -c contree -n '__contree_is \'contree cat\'' -s 'h' -l 'help' -d 'show help'

# contree cp
complete -c contree -n '__contree_is \'contree cp\'' -l 'image' -r -d 'read this image (UUID, tag:NAME, NAME) instead of the session\'s'
complete -c contree -n '__contree_is \'contree cp\'' -s 'h' -l 'help' -d 'show help'

# contree cd
complete -c contree -n '__contree_is \'contree cd\'' -s 'h' -l 'help' -d 'show help'

# contree env
complete -c contree -n '__contree_is \'contree env\'' -s 'U' -l 'delete' -d 'unset the given keys'
complete -c contree -n '__contree_is \'contree env\'' -l 'rm' -d 'same as --delete'
complete -c contree -n '__contree_is \'contree env\'' -s 'h' -l 'help' -d 'show help'

# contree file
complete -c contree -f -n '__contree_is \'contree file\' 0 0' -a 'edit' -d 'edit a file of the session image locally and stage the result'
complete -c contree -f -n '__contree_is \'contree file\' 0 0' -a 'e' -d 'edit a file of the session image locally and stage the result'
complete -c contree -f -n '__contree_is \'contree file\' 0 0' -a 'cp' -d 'upload a host file and stage it at DEST for the next run'
complete -c contree -f -n '__contree_is \'contree file\' 0 0' -a 'ls' -d 'list files uploaded to the server (with their local source, when known)'
complete -c contree -f -n '__contree_is \'contree file\' 0 0' -a 'list' -d 'list files uploaded to the server (with their local source, when known)'
complete -c contree -f -n '__contree_is \'contree file\' 0 0' -a 'help' -d 'show help for a command'
complete -c contree -n '__contree_is \'contree file\'' -s 'h' -l 'help' -d 'show help'

# contree file edit
complete -c contree -n '__contree_is \'contree file edit\'' -s 'E' -l 'editor' -r -d 'editor command (default: $EDITOR, [cli] editor, vim, nano, vi)'
complete -c contree -n '__contree_is \'contree file edit\'' -s 'h' -l 'help' -d 'show help'

# contree file cp
complete -c contree -n '__contree_is \'contree file cp\'' -s 'h' -l 'help' -d 'show help'

# contree file ls
complete -c contree -n '__contree_is \'contree file ls\'' -l 'since' -r -d 'uploaded after: a date, HH:MM, or an interval ago (1h30m, 2d)'
complete -c contree -n '__contree_is \'contree file ls\'' -l 'until' -r -d 'uploaded before (same syntax as --since)'
complete -c contree -n '__contree_is \'contree file ls\'' -l 'limit' -r -d 'show at most N files'
complete -c contree -n '__contree_is \'contree file ls\'' -s 'q' -l 'quiet' -d 'only uuid, sha256 and source'
complete -c contree -n '__contree_is \'contree file ls\'' -s 'h' -l 'help' -d 'show help'

# contree file help
complete -c contree -n '__contree_is \'contree file help\'' -s 'h' -l 'help' -d 'show help'
complete -c contree -f -n '__contree_is \'contree file help\' 0' -a 'edit cp ls'

# contree shell
complete -c contree -n '__contree_is \'contree shell\'' -s 'h' -l 'help' -d 'show help'

# contree build
complete -c contree -n '__contree_is \'contree build\'' -s 'f' -l 'file' -r -d 'the Dockerfile (default: CONTEXT/Dockerfile or Containerfile; - reads it from stdin)'
complete -c contree -n '__contree_is \'contree build\'' -l 'dockerfile' -r -d 'same as --file'
complete -c contree -n '__contree_is \'contree build\'' -s 't' -l 'tag' -r -d 'tag the result (once: an image has one tag; `name` means name:latest)'
complete -c contree -n '__contree_is \'contree build\'' -l 'build-arg' -r -d 'value of an ARG (repeatable; KEY alone takes $KEY)'
complete -c contree -n '__contree_is \'contree build\'' -l 'no-cache' -d 'run every step again (the step cache is still rewritten)'
complete -c contree -n '__contree_is \'contree build\'' -l 'target' -r -d 'build up to this stage (`FROM … AS stage`)'
complete -c contree -n '__contree_is \'contree build\'' -l 'timeout' -r -d 'time limit of each RUN step'
complete -c contree -n '__contree_is \'contree build\'' -l 'network' -x -a 'default none' -d 'networking of RUN steps: default (on, as docker build) or none'
complete -c contree -n '__contree_is \'contree build\'' -s 'h' -l 'help' -d 'show help'

# contree auth
complete -c contree -f -n '__contree_is \'contree auth\' 0 0' -a 'list' -d 'list profiles and check which ones work (2 s probe each, in parallel)'
complete -c contree -f -n '__contree_is \'contree auth\' 0 0' -a 'ls' -d 'list profiles and check which ones work (2 s probe each, in parallel)'
complete -c contree -f -n '__contree_is \'contree auth\' 0 0' -a 'profiles' -d 'list profiles and check which ones work (2 s probe each, in parallel)'
complete -c contree -f -n '__contree_is \'contree auth\' 0 0' -a 'use' -d 'make a profile the active one'
complete -c contree -f -n '__contree_is \'contree auth\' 0 0' -a 'switch' -d 'make a profile the active one'
complete -c contree -f -n '__contree_is \'contree auth\' 0 0' -a 'remove' -d 'remove a profile and its session database'
complete -c contree -f -n '__contree_is \'contree auth\' 0 0' -a 'rm' -d 'remove a profile and its session database'
complete -c contree -f -n '__contree_is \'contree auth\' 0 0' -a 'del' -d 'remove a profile and its session database'
complete -c contree -f -n '__contree_is \'contree auth\' 0 0' -a 'help' -d 'show help for a command'
complete -c contree -n '__contree_is \'contree auth\'' -l 'token' -r -d 'API token (default: $CONTREE_TOKEN, $NEBIUS_API_KEY, or a prompt)'
complete -c contree -n '__contree_is \'contree auth\'' -s 'u' -l 'url' -r -d 'API base URL (default: $CONTREE_URL)'
complete -c contree -n '__contree_is \'contree auth\'' -l 'type' -x -a 'iam jwt' -d 'token type'
complete -c contree -n '__contree_is \'contree auth\'' -s 'P' -l 'project' -r -d 'project id for iam tokens (default: $CONTREE_PROJECT)'
complete -c contree -n '__contree_is \'contree auth\'' -s 'p' -l 'profile' -r -d 'profile name (default: the global -p, else \'default\')'
complete -c contree -n '__contree_is \'contree auth\'' -s 'y' -l 'force' -d 'overwrite an existing profile without asking'
complete -c contree -n '__contree_is \'contree auth\'' -s 'h' -l 'help' -d 'show help'

# contree auth list
complete -c contree -n '__contree_is \'contree auth list\'' -s 'O' -l 'offline' -d 'do not probe the servers'
complete -c contree -n '__contree_is \'contree auth list\'' -s 'h' -l 'help' -d 'show help'

# contree auth use
complete -c contree -n '__contree_is \'contree auth use\'' -s 'h' -l 'help' -d 'show help'

# contree auth remove
complete -c contree -n '__contree_is \'contree auth remove\'' -s 'y' -l 'force' -d 'do not ask for confirmation'
complete -c contree -n '__contree_is \'contree auth remove\'' -s 'h' -l 'help' -d 'show help'

# contree auth help
complete -c contree -n '__contree_is \'contree auth help\'' -s 'h' -l 'help' -d 'show help'
complete -c contree -f -n '__contree_is \'contree auth help\' 0' -a 'list use remove'

# contree server
complete -c contree -f -n '__contree_is \'contree server\' 0 0' -a 'start' -d 'start the server (foreground; -d to detach) and register the \'local\' profile'
complete -c contree -f -n '__contree_is \'contree server\' 0 0' -a 'stop' -d 'stop the server started for this home (SIGTERM, then wait)'
complete -c contree -f -n '__contree_is \'contree server\' 0 0' -a 'status' -d 'show whether the server runs, where, and its operation counts (exit 1: stopped)'
complete -c contree -f -n '__contree_is \'contree server\' 0 0' -a 'help' -d 'show help for a command'
complete -c contree -n '__contree_is \'contree server\'' -s 'h' -l 'help' -d 'show help'

# contree server start
complete -c contree -n '__contree_is \'contree server start\'' -l 'port' -r -d 'port on 127.0.0.1 (0 = any free port)'
complete -c contree -n '__contree_is \'contree server start\'' -l 'home' -r -d 'server home (default: $CONTREE_SERVER_HOME, else $CONTREE_HOME/server)'
complete -c contree -n '__contree_is \'contree server start\'' -s 'd' -l 'detach' -d 'run in the background; return once the server answers'
complete -c contree -n '__contree_is \'contree server start\'' -l 'concurrency' -r -d 'operations running at once (the rest wait in a queue)'
complete -c contree -n '__contree_is \'contree server start\'' -l 'keepalive' -r -d 'keepalive comment interval of idle event streams'
complete -c contree -n '__contree_is \'contree server start\'' -l 'memory' -r -d 'memory of each sandbox, swap included (0 = no limit)'
complete -c contree -n '__contree_is \'contree server start\'' -l 'cpus' -r -d 'CPUs each sandbox may use (0 = no limit)'
complete -c contree -n '__contree_is \'contree server start\'' -l 'pids' -r -d 'processes and threads each sandbox may have (0 = no limit)'
complete -c contree -n '__contree_is \'contree server start\'' -l 'userns' -r -d 'host ids mapped into the user namespace of disposable runs, or \'off\''
complete -c contree -n '__contree_is \'contree server start\'' -l 'max-output' -r -d 'largest truncate_output_at a run may ask for, per stream (larger requests are clamped)'
complete -c contree -n '__contree_is \'contree server start\'' -s 'h' -l 'help' -d 'show help'

# contree server stop
complete -c contree -n '__contree_is \'contree server stop\'' -l 'home' -r -d 'server home (default: $CONTREE_SERVER_HOME, else $CONTREE_HOME/server)'
complete -c contree -n '__contree_is \'contree server stop\'' -s 'h' -l 'help' -d 'show help'

# contree server status
complete -c contree -n '__contree_is \'contree server status\'' -l 'home' -r -d 'server home (default: $CONTREE_SERVER_HOME, else $CONTREE_HOME/server)'
complete -c contree -n '__contree_is \'contree server status\'' -s 'h' -l 'help' -d 'show help'

# contree server help
complete -c contree -n '__contree_is \'contree server help\'' -s 'h' -l 'help' -d 'show help'
complete -c contree -f -n '__contree_is \'contree server help\' 0' -a 'start stop status'

# contree task
complete -c contree -f -n '__contree_is \'contree task\' 0 0' -a 'new' -d 'create a task (workspace and metadata; no container yet)'
complete -c contree -f -n '__contree_is \'contree task\' 0 0' -a 'run' -d 'start a task\'s container (a new task when none is given)'
complete -c contree -f -n '__contree_is \'contree task\' 0 0' -a 'list' -d 'list a project\'s tasks with their live status'
complete -c contree -f -n '__contree_is \'contree task\' 0 0' -a 'ls' -d 'list a project\'s tasks with their live status'
complete -c contree -f -n '__contree_is \'contree task\' 0 0' -a 'status' -d 'show a task\'s live status'
complete -c contree -f -n '__contree_is \'contree task\' 0 0' -a 'rename' -d 'rename a task'
complete -c contree -f -n '__contree_is \'contree task\' 0 0' -a 'stop' -d 'stop a task\'s container (kept for `task run` to start again)'
complete -c contree -f -n '__contree_is \'contree task\' 0 0' -a 'login' -d 'open a shell in a running task (tmux session \'main\' when the image has tmux)'
complete -c contree -f -n '__contree_is \'contree task\' 0 0' -a 'logs' -d 'capture the container\'s logs to logs/container.log and print them'
complete -c contree -f -n '__contree_is \'contree task\' 0 0' -a 'wait' -d 'wait for a task\'s container to exit; record and exit with its code'
complete -c contree -f -n '__contree_is \'contree task\' 0 0' -a 'delete' -d 'archive a task\'s metadata and logs, remove its containers, workspace, metadata'
complete -c contree -f -n '__contree_is \'contree task\' 0 0' -a 'rm' -d 'archive a task\'s metadata and logs, remove its containers, workspace, metadata'
complete -c contree -f -n '__contree_is \'contree task\' 0 0' -a 'archive' -d 'what deleted tasks left behind'
complete -c contree -f -n '__contree_is \'contree task\' 0 0' -a 'help' -d 'show help for a command'
complete -c contree -n '__contree_is \'contree task\'' -s 'h' -l 'help' -d 'show help'

# contree task new
complete -c contree -n '__contree_is \'contree task new\'' -l 'name' -r -d 'task name (default: a random adjective-noun)'
complete -c contree -n '__contree_is \'contree task new\'' -s 'h' -l 'help' -d 'show help'

# contree task run
complete -c contree -n '__contree_is \'contree task run\'' -l 'mode' -x -a 'cli run' -d 'cli: idle container to log into; run: run the project\'s command (default: the task\'s recorded mode, else cli)'
complete -c contree -n '__contree_is \'contree task run\'' -l 'name' -r -d 'name of the new task'
complete -c contree -n '__contree_is \'contree task run\'' -l 'command' -r -d '--mode run: shell command instead of the project\'s run.command'
complete -c contree -n '__contree_is \'contree task run\'' -s 'h' -l 'help' -d 'show help'

# contree task list
complete -c contree -n '__contree_is \'contree task list\'' -l 'status' -x -a 'running init starting stopped completed failed created deleting' -d 'only tasks with this status'
complete -c contree -n '__contree_is \'contree task list\'' -l 'mode' -x -a 'cli run' -d 'only tasks run in this mode'
complete -c contree -n '__contree_is \'contree task list\'' -l 'no-emoji' -d 'plain-text status labels'
complete -c contree -n '__contree_is \'contree task list\'' -s 'h' -l 'help' -d 'show help'

# contree task status
complete -c contree -n '__contree_is \'contree task status\'' -l 'no-emoji' -d 'plain-text status labels'
complete -c contree -n '__contree_is \'contree task status\'' -s 'h' -l 'help' -d 'show help'

# contree task rename
complete -c contree -n '__contree_is \'contree task rename\'' -s 'h' -l 'help' -d 'show help'

# contree task stop
complete -c contree -n '__contree_is \'contree task stop\'' -l 'timeout' -r -d 'seconds before SIGKILL (default: the project\'s run.shutdown_timeout)'
complete -c contree -n '__contree_is \'contree task stop\'' -s 'h' -l 'help' -d 'show help'

# contree task login
complete -c contree -n '__contree_is \'contree task login\'' -l 'print' -d 'print the podman command instead of running it'
complete -c contree -n '__contree_is \'contree task login\'' -s 'h' -l 'help' -d 'show help'

# contree task logs
complete -c contree -n '__contree_is \'contree task logs\'' -s 'f' -l 'follow' -d 'keep printing new output'
complete -c contree -n '__contree_is \'contree task logs\'' -l 'tail' -r -d 'only the last N lines'
complete -c contree -n '__contree_is \'contree task logs\'' -s 't' -l 'timestamps' -d 'keep podman\'s timestamps'
complete -c contree -n '__contree_is \'contree task logs\'' -s 'h' -l 'help' -d 'show help'

# contree task wait
complete -c contree -n '__contree_is \'contree task wait\'' -l 'timeout' -r -d 'give up after N seconds (exit 1, nothing recorded)'
complete -c contree -n '__contree_is \'contree task wait\'' -s 'h' -l 'help' -d 'show help'

# contree task delete
complete -c contree -n '__contree_is \'contree task delete\'' -s 'h' -l 'help' -d 'show help'

# contree task archive
complete -c contree -f -n '__contree_is \'contree task archive\' 0 0' -a 'list' -d 'list archived tasks, newest first'
complete -c contree -f -n '__contree_is \'contree task archive\' 0 0' -a 'ls' -d 'list archived tasks, newest first'
complete -c contree -f -n '__contree_is \'contree task archive\' 0 0' -a 'logs' -d 'print the logs of the newest archive whose name or task ID starts with PREFIX'
complete -c contree -f -n '__contree_is \'contree task archive\' 0 0' -a 'help' -d 'show help for a command'
complete -c contree -n '__contree_is \'contree task archive\'' -s 'h' -l 'help' -d 'show help'

# contree task archive list
complete -c contree -n '__contree_is \'contree task archive list\'' -s 'h' -l 'help' -d 'show help'

# contree task archive logs
complete -c contree -n '__contree_is \'contree task archive logs\'' -s 'h' -l 'help' -d 'show help'

# contree task archive help
complete -c contree -n '__contree_is \'contree task archive help\'' -s 'h' -l 'help' -d 'show help'
complete -c contree -f -n '__contree_is \'contree task archive help\' 0' -a 'list logs'

# contree task help
complete -c contree -n '__contree_is \'contree task help\'' -s 'h' -l 'help' -d 'show help'
complete -c contree -f -n '__contree_is \'contree task help\' 0' -a 'new run list status rename stop login logs wait delete archive'

# contree project
complete -c contree -f -n '__contree_is \'contree project\' 0 0' -a 'new' -d 'create a project (writes <config root>/projects/NAME/project.yml)'
complete -c contree -f -n '__contree_is \'contree project\' 0 0' -a 'init' -d 'create a project (writes <config root>/projects/NAME/project.yml)'
complete -c contree -f -n '__contree_is \'contree project\' 0 0' -a 'list' -d 'list projects'
complete -c contree -f -n '__contree_is \'contree project\' 0 0' -a 'ls' -d 'list projects'
complete -c contree -f -n '__contree_is \'contree project\' 0 0' -a 'show' -d 'show a project\'s settings and paths'
complete -c contree -f -n '__contree_is \'contree project\' 0 0' -a 'help' -d 'show help for a command'
complete -c contree -n '__contree_is \'contree project\'' -s 'h' -l 'help' -d 'show help'

# contree project new
complete -c contree -n '__contree_is \'contree project new\'' -l 'image' -r -d 'container image the project\'s tasks run'
complete -c contree -n '__contree_is \'contree project new\'' -l 'description' -r -d 'free text'
complete -c contree -n '__contree_is \'contree project new\'' -l 'tasks-root' -r -d 'where task directories live (default: under the state root)'
complete -c contree -n '__contree_is \'contree project new\'' -l 'name-categories' -r -d 'comma-separated word categories for random task names'
complete -c contree -n '__contree_is \'contree project new\'' -l 'shutdown-timeout' -r -d 'seconds `task stop` gives a container before SIGKILL (default 10)'
complete -c contree -n '__contree_is \'contree project new\'' -l 'command' -r -d 'what `task run --mode run` runs (a shell command)'
complete -c contree -n '__contree_is \'contree project new\'' -l 'shell' -r -d 'shell for string commands and logins (default /bin/sh)'
complete -c contree -n '__contree_is \'contree project new\'' -l 'force' -d 'replace an existing project.yml'
complete -c contree -n '__contree_is \'contree project new\'' -s 'h' -l 'help' -d 'show help'

# contree project list
complete -c contree -n '__contree_is \'contree project list\'' -s 'h' -l 'help' -d 'show help'

# contree project show
complete -c contree -n '__contree_is \'contree project show\'' -s 'h' -l 'help' -d 'show help'

# contree project help
complete -c contree -n '__contree_is \'contree project help\'' -s 'h' -l 'help' -d 'show help'
complete -c contree -f -n '__contree_is \'contree project help\' 0' -a 'new list show'

# contree completion
complete -c contree -n '__contree_is \'contree completion\'' -s 'h' -l 'help' -d 'show help'
complete -c contree -f -n '__contree_is \'contree completion\' 0 0' -a 'bash zsh fish'

# contree mcp
complete -c contree -n '__contree_is \'contree mcp\'' -l 'http' -d 'serve Streamable HTTP on 127.0.0.1 (bearer token) instead of stdio'
complete -c contree -n '__contree_is \'contree mcp\'' -l 'port' -r -d 'port of --http (0 = any free port)'
complete -c contree -n '__contree_is \'contree mcp\'' -s 'h' -l 'help' -d 'show help'

# contree agent
complete -c contree -n '__contree_is \'contree agent\'' -s 'h' -l 'help' -d 'show help'
complete -c contree -f -n '__contree_is \'contree agent\' 0 0' -a 'all core_workflow core sessions images_and_tags images files_and_directories files execution_modes execution command_safety command output_formats output profiles interactive_shell interactive agent_tools agent mcp_server mcp all_commands'

# contree skill
complete -c contree -f -n '__contree_is \'contree skill\' 0 0' -a 'list' -d 'remembered installs, their version and whether they are current'
complete -c contree -f -n '__contree_is \'contree skill\' 0 0' -a 'ls' -d 'remembered installs, their version and whether they are current'
complete -c contree -f -n '__contree_is \'contree skill\' 0 0' -a 'install' -d 'write the skill files (no SPEC: every tool whose home directory exists)'
complete -c contree -f -n '__contree_is \'contree skill\' 0 0' -a 'i' -d 'write the skill files (no SPEC: every tool whose home directory exists)'
complete -c contree -f -n '__contree_is \'contree skill\' 0 0' -a 'remove' -d 'delete the files an install wrote (no SPEC: every remembered install)'
complete -c contree -f -n '__contree_is \'contree skill\' 0 0' -a 'r' -d 'delete the files an install wrote (no SPEC: every remembered install)'
complete -c contree -f -n '__contree_is \'contree skill\' 0 0' -a 'rm' -d 'delete the files an install wrote (no SPEC: every remembered install)'
complete -c contree -f -n '__contree_is \'contree skill\' 0 0' -a 'del' -d 'delete the files an install wrote (no SPEC: every remembered install)'
complete -c contree -f -n '__contree_is \'contree skill\' 0 0' -a 'upgrade' -d 'rewrite installs with this version (no SPEC: every remembered install)'
complete -c contree -f -n '__contree_is \'contree skill\' 0 0' -a 'u' -d 'rewrite installs with this version (no SPEC: every remembered install)'
complete -c contree -f -n '__contree_is \'contree skill\' 0 0' -a 'update' -d 'rewrite installs with this version (no SPEC: every remembered install)'
complete -c contree -f -n '__contree_is \'contree skill\' 0 0' -a 'help' -d 'show help for a command'
complete -c contree -n '__contree_is \'contree skill\'' -s 'h' -l 'help' -d 'show help'

# contree skill list
complete -c contree -n '__contree_is \'contree skill list\'' -s 'h' -l 'help' -d 'show help'

# contree skill install
complete -c contree -n '__contree_is \'contree skill install\'' -s 'y' -l 'force' -d 'overwrite an existing install'
complete -c contree -n '__contree_is \'contree skill install\'' -s 'h' -l 'help' -d 'show help'

# contree skill remove
complete -c contree -n '__contree_is \'contree skill remove\'' -s 'y' -l 'force' -d 'do not ask for confirmation'
complete -c contree -n '__contree_is \'contree skill remove\'' -s 'h' -l 'help' -d 'show help'

# contree skill upgrade
complete -c contree -n '__contree_is \'contree skill upgrade\'' -s 'h' -l 'help' -d 'show help'

# contree skill help
complete -c contree -n '__contree_is \'contree skill help\'' -s 'h' -l 'help' -d 'show help'
complete -c contree -f -n '__contree_is \'contree skill help\' 0' -a 'list install remove upgrade'

# contree help
complete -c contree -n '__contree_is \'contree help\'' -s 'h' -l 'help' -d 'show help'
complete -c contree -f -n '__contree_is \'contree help\' 0' -a 'use run operation ps show kill session images tag ls cat cp cd env file shell build auth server task project completion mcp agent skill'

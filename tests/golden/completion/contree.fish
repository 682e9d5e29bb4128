# fish completion for contree, generated from its command tree by
# `contree completion fish`. Regenerate it after upgrading contree.
#
# Install: contree completion fish > ~/.config/fish/completions/contree.fish

# __contree_child PATH WORD: the path of PATH's subcommand WORD (aliases included).
function __contree_child --argument-names cmdpath word
    switch "$cmdpath/$word"
        case 'contree/auth'
            echo 'contree auth'
        case 'contree/completion'
            echo 'contree completion'
        case 'contree/agent' 'contree/man'
            echo 'contree agent'
        case 'contree/help'
            echo 'contree help'
        case 'contree auth/list' 'contree auth/ls' 'contree auth/profiles'
            echo 'contree auth list'
        case 'contree auth/use' 'contree auth/switch'
            echo 'contree auth use'
        case 'contree auth/remove' 'contree auth/rm' 'contree auth/del'
            echo 'contree auth remove'
        case '*'
            return 1
    end
end

# __contree_takes_value PATH OPTION: whether OPTION of PATH takes a value.
function __contree_takes_value --argument-names cmdpath word
    switch "$cmdpath/$word"
        case 'contree/-p' 'contree/--profile' 'contree/--token' 'contree/-u' 'contree/--url' 'contree/-P' 'contree/--project' 'contree/-c' 'contree/--config' 'contree/-L' 'contree/--log-level' 'contree/-f' 'contree/--format' 'contree/-S' 'contree/--session'
            return 0
        case 'contree auth/--token' 'contree auth/-u' 'contree auth/--url' 'contree auth/--type' 'contree auth/-P' 'contree auth/--project' 'contree auth/-p' 'contree auth/--profile'
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
                end
        end
    end
    echo $cmdpath
end

# __contree_is PATH: whether the cursor is in PATH (computed once per command line).
function __contree_is
    set -l line (commandline -pc)
    if test "$line" != "$__contree_cached_line"
        set -g __contree_cached_line "$line"
        set -g __contree_cached_path (__contree_path)
    end
    test "$__contree_cached_path" = "$argv[1]"
end

complete -c contree -e

# contree
complete -c contree -f -n '__contree_is \'contree\'' -a 'auth' -d 'register or update a profile (verifies the token with GET /v1/whoami)'
complete -c contree -f -n '__contree_is \'contree\'' -a 'completion' -d 'print a shell completion script (commands, aliases, options, choices)'
complete -c contree -f -n '__contree_is \'contree\'' -a 'agent' -d 'the manual for coding agents (workflow, sessions, safety, all commands)'
complete -c contree -f -n '__contree_is \'contree\'' -a 'man' -d 'the manual for coding agents (workflow, sessions, safety, all commands)'
complete -c contree -f -n '__contree_is \'contree\'' -a 'help' -d 'display help for command'
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

# contree auth
complete -c contree -f -n '__contree_is \'contree auth\'' -a 'list' -d 'list profiles and check which ones work (2 s probe each, in parallel)'
complete -c contree -f -n '__contree_is \'contree auth\'' -a 'ls' -d 'list profiles and check which ones work (2 s probe each, in parallel)'
complete -c contree -f -n '__contree_is \'contree auth\'' -a 'profiles' -d 'list profiles and check which ones work (2 s probe each, in parallel)'
complete -c contree -f -n '__contree_is \'contree auth\'' -a 'use' -d 'make a profile the active one'
complete -c contree -f -n '__contree_is \'contree auth\'' -a 'switch' -d 'make a profile the active one'
complete -c contree -f -n '__contree_is \'contree auth\'' -a 'remove' -d 'remove a profile and its session database'
complete -c contree -f -n '__contree_is \'contree auth\'' -a 'rm' -d 'remove a profile and its session database'
complete -c contree -f -n '__contree_is \'contree auth\'' -a 'del' -d 'remove a profile and its session database'
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

# contree completion
complete -c contree -n '__contree_is \'contree completion\'' -s 'h' -l 'help' -d 'show help'
complete -c contree -f -n '__contree_is \'contree completion\'' -a 'bash zsh fish'

# contree agent
complete -c contree -n '__contree_is \'contree agent\'' -s 'h' -l 'help' -d 'show help'
complete -c contree -f -n '__contree_is \'contree agent\'' -a 'all core_workflow core sessions images_and_tags images files_and_directories files execution_modes execution command_safety command output_formats output profiles all_commands'

# contree help
complete -c contree -f -n '__contree_is \'contree help\'' -a 'auth completion agent'

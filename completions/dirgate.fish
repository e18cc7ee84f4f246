# fish completion for dirgate(1).  The commands and each command's options
# come from the program itself (dirgate --list-commands, dirgate COMMAND
# --completion-helper), so they are always those of the installed dirgate.

function __dirgate_commands
    dirgate --list-commands 2>/dev/null
end

# "--name<TAB>description" for the command on the command line
function __dirgate_options
    set -l words (commandline -opc)
    set -l args $words[2]
    test "$words[2]" = cert; and set args cert new
    dirgate $args --completion-helper 2>/dev/null | string replace -r '^(--[^=\t]*)=(\t)' '$1$2'
end

# the values of the option before the cursor, when the help spells them out
function __dirgate_values
    set -l words (commandline -opc)
    dirgate $words[2] --help 2>/dev/null | string match -r -g -- "$words[-1] ([a-z0-9-]+(?:\|[a-z0-9-]+)+)" | head -n 1 | string split '|'
end

function __dirgate_takes_value
    set -l words (commandline -opc)
    test (count $words) -ge 3; or return 1
    set -l args $words[2]
    test "$words[2]" = cert; and set args cert new
    dirgate $args --completion-helper 2>/dev/null | string match -q -- "$words[-1]=*"
end

complete -c dirgate -f
complete -c dirgate -n __fish_use_subcommand -l help -d 'list the commands'
complete -c dirgate -n __fish_use_subcommand -l version -d 'print the version'
complete -c dirgate -n __fish_use_subcommand -a '(__dirgate_commands)'
complete -c dirgate -n '__fish_seen_subcommand_from help; and test (count (commandline -opc)) -eq 2' -a '(__dirgate_commands)'
complete -c dirgate -n '__fish_seen_subcommand_from cert; and test (count (commandline -opc)) -eq 2' -a new
complete -c dirgate -n 'not __fish_use_subcommand; and string match -q -- "-*" (commandline -ct)' -a '(__dirgate_options)'
complete -c dirgate -n '__dirgate_takes_value' -a '(__dirgate_values)'
complete -c dirgate -n 'not __fish_use_subcommand; and not __fish_seen_subcommand_from help uri filter explain init' -F

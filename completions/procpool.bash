# bash completion for procpool(1)                          -*- shell-script -*-
#
# Needs the bash-completion package (_init_completion, _filedir,
# _command_offset). Installed as .../bash-completion/completions/procpool.
#
# Before COMMAND: procpool's options and their values. From COMMAND on:
# command names, then whatever completion COMMAND itself has.
# tests/check-docs checks that every long option of `procpool --help` is here.

# COMPREPLY=($(compgen ...)) is the bash-completion idiom: words never hold
# blanks here.
# shellcheck disable=SC2207

# Options that take a value, for telling a value from COMMAND.
_procpool_long_with_value='arg-file wire error-prefix answer-end max-record jobs max-jobs min idle-timeout
    depth max-tasks max-tasks-jitter nice cpus mem-limit retries timeout kill-grace start-timeout
    ready stop-timeout halt joblog total stats-json bench-jobs bench-runs
    bench-json sshlogin sshloginfile ssh host-retry'
_procpool_long_flags='null base64 keep-order tag json resume resume-failed verbose
    no-hints no-unbuffered-env pin-slots progress stats bench help version'
_procpool_short_with_value='awjmiS'

# _procpool_takes_value OPT: OPT (--name or -c) needs a value.
_procpool_takes_value()
{
    case $1 in
        --*) [[ " ${_procpool_long_with_value//$'\n'/ } " == *" ${1#--} "* ]] ;;
        -?) [[ $_procpool_short_with_value == *"${1#-}"* ]] ;;
        *) return 1 ;;
    esac
}

# _procpool_command_index: the index in COMP_WORDS of COMMAND, printed, or
# nothing while the cursor is still among procpool's options. Works on the
# raw COMP_WORDS, where bash has split "--opt=value" into three words,
# because that is what _command_offset counts in.
_procpool_command_index()
{
    local i=1 w j c
    while ((i < COMP_CWORD)); do
        w=${COMP_WORDS[i]}
        case $w in
            --)
                echo $((i + 1))
                return
                ;;
            --*=* | =)
                # "--flag=value" in one word, or the "=" bash split off a
                # flag that takes no value: what follows "=" belongs to it.
                [[ $w == = ]] && ((i++))
                ;;
            --?*)
                if _procpool_takes_value "$w"; then
                    if [[ ${COMP_WORDS[i + 1]-} == = ]]; then
                        ((i += 2)) # --opt = value
                    else
                        ((i++)) # --opt value
                    fi
                fi
                ;;
            -?*)
                # Bundled short flags; a flag taking a value takes the rest
                # of the word, or the next word when it is last.
                for ((j = 1; j < ${#w}; j++)); do
                    c=${w:j:1}
                    if [[ $_procpool_short_with_value == *"$c"* ]]; then
                        ((j == ${#w} - 1)) && ((i++))
                        break
                    fi
                done
                ;;
            '<' | '>' | '>>' | [0-9]'>' | [0-9]'>>' | '&>' | '>&' | '<<<')
                ((i++)) # a redirection and its target
                ;;
            *)
                echo "$i"
                return
                ;;
        esac
        ((i++))
    done
    # The cursor is on a word that is not an option's value: COMMAND if it
    # does not start with a dash.
    if ((i == COMP_CWORD)) && [[ ${COMP_WORDS[i]-} != -* ]]; then
        echo "$i"
    fi
}

_procpool()
{
    local cmd
    cmd=$(_procpool_command_index)
    if [[ $cmd ]]; then
        _command_offset "$cmd"
        return
    fi

    # words and cword are set by _init_completion, unused here.
    # shellcheck disable=SC2034
    local cur prev words cword split
    _init_completion -s || return

    # "-kj": bundled flags ending in one that takes a value; its value is
    # what the cursor is on.
    if [[ $prev == -[!-]?* ]]; then
        local j
        for ((j = 1; j < ${#prev}; j++)); do
            if [[ $_procpool_short_with_value == *"${prev:j:1}"* ]]; then
                ((j == ${#prev} - 1)) && prev=-${prev:j:1}
                break
            fi
        done
    fi

    local durations='250ms 500ms 1s 2s 5s 10s 30s 1m 5m 10m 1h'
    local ncpu
    ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
    case $prev in
        -a | --arg-file | --joblog | --stats-json | --bench-json | --sshloginfile)
            _filedir
            return
            ;;
        -w | --wire)
            COMPREPLY=($(compgen -W 'line base64' -- "$cur"))
            return
            ;;
        --depth)
            COMPREPLY=($(compgen -W 'auto 1 4 16 64' -- "$cur"))
            return
            ;;
        --halt)
            if [[ $cur != *fail=* ]]; then
                COMPREPLY=($(compgen -W 'never soon,fail= now,fail=' -- "$cur"))
                [[ ${COMPREPLY-} == *= ]] && compopt -o nospace
            fi
            return
            ;;
        -i | --idle-timeout | --timeout | --kill-grace | --host-retry)
            COMPREPLY=($(compgen -W "$durations" -- "$cur"))
            return
            ;;
        --start-timeout | --stop-timeout)
            COMPREPLY=($(compgen -W "$durations none" -- "$cur"))
            return
            ;;
        --ready | --answer-end | --error-prefix)
            return # a line, or a prefix, of the worker's own
            ;;
        -S | --sshlogin)
            _known_hosts_real -- "$cur"
            COMPREPLY+=($(compgen -W ':' -- "$cur"))
            return
            ;;
        --ssh)
            COMPREPLY=($(compgen -W "ssh 'srun -N1 -n1 --exclusive -w {host}' \
                'kubectl exec -i {host} --'" -- "$cur"))
            return
            ;;
        -j | --jobs)
            COMPREPLY=($(compgen -W "$ncpu 50% 100% 200% auto" -- "$cur"))
            return
            ;;
        --bench-jobs)
            COMPREPLY=($(compgen -W "1,2,$ncpu" -- "$cur"))
            return
            ;;
        --cpus)
            COMPREPLY=($(compgen -W "0-$((ncpu - 1))" -- "$cur"))
            return
            ;;
        --max-record | --mem-limit)
            COMPREPLY=($(compgen -W '1M 16M 64M 256M 1G 4G' -- "$cur"))
            return
            ;;
        --nice)
            COMPREPLY=($(compgen -W '5 10 19' -- "$cur"))
            return
            ;;
        -m | --min | --max-jobs | --max-tasks | --max-tasks-jitter | --retries | --total | --bench-runs)
            return # a number
            ;;
    esac
    $split && return # --opt=value for an option without a value

    if [[ $cur == -* ]]; then
        local long opts
        # shellcheck disable=SC2086 # split the lists into names
        long=$(printf -- '--%s ' $_procpool_long_with_value $_procpool_long_flags)
        opts=$long
        [[ $cur != --* ]] && opts+=' -a -0 -b -w -k -j -m -i -S -v -h -V --'
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    fi
} &&
    complete -F _procpool procpool

# ex: filetype=sh

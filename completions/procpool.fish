# fish completion for procpool(1). Installed as
# .../fish/vendor_completions.d/procpool.fish.
#
# procpool's options are offered until COMMAND (or --); from COMMAND on,
# fish completes COMMAND and its arguments as a command line of their own.
# tests/check-docs checks that every long option of `procpool --help` is here.

# Options taking a value in the next word, for telling a value from COMMAND.
set -l __procpool_with_value -a --arg-file -w --wire --error-prefix --answer-end --max-record -j --jobs --max-jobs \
    -m --min -i --idle-timeout --depth --max-tasks --max-tasks-jitter --nice --cpus --mem-limit \
    --retries --timeout --kill-grace --start-timeout --ready --stop-timeout \
    --halt --joblog --total --stats-json \
    --bench-jobs --bench-runs --bench-json \
    -S --sshlogin --sshloginfile --ssh --host-retry

# True while the cursor is still among procpool's options: no COMMAND and no
# -- before it. Arguments: the options that take a value.
function __fish_procpool_no_command
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l skip 0
    for t in $tokens
        if test $skip -eq 1
            set skip 0
            continue
        end
        switch $t
            case --
                return 1
            case '--*=*'
                continue
            case '--*'
                contains -- $t $argv; and set skip 1
            case '-?*'
                # Bundled short flags: a flag taking a value takes the rest
                # of the word, or the next word when it is last.
                set -l flags (string sub -s 2 -- $t | string split '')
                for i in (seq (count $flags))
                    if contains -- -$flags[$i] $argv
                        test $i -eq (count $flags); and set skip 1
                        break
                    end
                end
            case '*'
                return 1
        end
    end
    return 0
end

# COMMAND, then its own completion.
complete -c procpool -f -a "(__fish_complete_subcommand -- $__procpool_with_value)"

set -l opt -c procpool -n "__fish_procpool_no_command $__procpool_with_value"
set -l durations '250ms 500ms 1s 2s 5s 10s 30s 1m 5m 10m 1h'

# Input and output
complete $opt -s a -l arg-file -rF -d 'Read tasks from FILE (- is stdin; again for more files)'
complete $opt -s 0 -l null -d 'Records end with NUL on input and output'
complete $opt -s b -l base64 -d 'Input lines and results are base64'
complete $opt -s w -l wire -x -d 'How tasks travel to workers' \
    -a 'line\t"Task bytes and a newline (default)" base64\t"One base64 line per task and answer (default with -b)"'
complete $opt -s k -l keep-order -d 'Write results in input order'
complete $opt -l tag -d 'Prefix each result with its input and a TAB'
complete $opt -l json -d 'Write each ended task as a JSON object on a line'
complete $opt -l error-prefix -x -d 'An answer that starts with STR fails its task'
complete $opt -l answer-end -x -d 'Answers are the lines a worker writes before LINE'
complete $opt -l max-record -x -d 'Longest record accepted (default 64M)' -a '1M 16M 64M 256M 1G'

# Pool
complete $opt -s j -l jobs -x -d 'Most workers at once (default: online CPUs)' -a '(nproc 2>/dev/null) 50% 100% 200% auto'
complete $opt -l max-jobs -x -d 'The most -j auto tries (default 32 per CPU)'
complete $opt -s m -l min -x -d 'Workers kept warm (default 1)'
complete $opt -s i -l idle-timeout -x -d 'Retire workers idle this long (default 10s)' -a $durations
complete $opt -l depth -x -d 'Tasks in flight per worker (default auto)' -a 'auto 1 4 16 64'
complete $opt -l max-tasks -x -d 'Replace a worker after N tasks'
complete $opt -l max-tasks-jitter -x -d 'Up to N more tasks per worker, to spread them'
complete $opt -l nice -x -d 'Run workers N steps nicer (0-39)' -a '5 10 19'
complete $opt -l cpus -x -d 'Pin workers to CPUs, e.g. 0-3,6 (Linux)'
complete $opt -l pin-slots -d 'With --cpus: slot k on the k-th CPU of LIST alone'
complete $opt -l mem-limit -x -d "Cap each worker's address space" -a '256M 512M 1G 2G 4G'
complete $opt -l no-unbuffered-env -d 'Do not set PYTHONUNBUFFERED=1 for the workers'

# Many machines
complete $opt -s S -l sshlogin -x -d 'Run workers on LOGIN too ([N/][user@]host[:port])' -a '(__fish_print_hostnames) :'
complete $opt -l sshloginfile -rF -d 'One --sshlogin entry a line (# comments)'
complete $opt -l ssh -x -d 'How to reach a host (default ssh; {host} is the host)' \
    -a "ssh 'srun -N1 -n1 --exclusive -w {host}' 'kubectl exec -i {host} --'"
complete $opt -l host-retry -x -d 'Try a host that failed again after DUR (default 30s)' -a $durations

# Failures
complete $opt -l retries -x -d 'Run a task again after its worker died (default 0)'
complete $opt -l timeout -x -d 'Fail a task that takes longer (default: none)' -a $durations
complete $opt -l kill-grace -x -d 'SIGTERM to SIGKILL delay (default 2s)' -a $durations
complete $opt -l start-timeout -x -d 'Stop a worker not ready after DUR (default 60s)' -a "$durations none"
complete $opt -l ready -x -d 'Send a worker nothing until it writes LINE'
complete $opt -l stop-timeout -x -d 'After a signal, wait DUR for tasks (default 10s)' -a "$durations none"
complete $opt -l halt -x -d 'Stop after N (or N%) failures' \
    -a 'never\t"Keep going (default)" soon,fail=\t"Take no new tasks after N failures" now,fail=\t"Stop the workers at once after N failures"'
complete $opt -l joblog -rF -d 'Append one TSV row per finished task'
complete $opt -l resume -d 'Skip tasks the joblog records as ended'
complete $opt -l resume-failed -d 'Skip tasks the joblog records as ok'

# Watching
complete $opt -s v -l verbose -d 'Log worker starts and exits on stderr'
complete $opt -l no-hints -d 'No advice about workers that buffer or skip answers'
complete $opt -l progress -d 'Show progress on stderr'
complete $opt -l total -x -d "Number of tasks, for --progress's ETA"
complete $opt -l stats -d 'Print statistics on stderr at exit'
complete $opt -l stats-json -rF -d 'Write statistics as JSON to FILE'
complete $opt -l bench -d 'Compare per-task, single and pooled runs'
complete $opt -l bench-jobs -x -d 'Pool sizes for --bench (default 1,2,CPUs)'
complete $opt -l bench-runs -x -d 'Repeats per --bench configuration (default 3)'
complete $opt -l bench-json -rF -d 'Write --bench measurements as JSON to FILE'
complete $opt -s h -l help -d 'Show the options and exit'
complete $opt -s V -l version -d 'Show the version and exit'

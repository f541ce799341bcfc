# Sourced by the measuring scripts (targets_window.sh, shared_core_probe.sh):
# a temporary directory in $work, and `yes` as background load on demand,
# both removed on exit, error or INT/TERM, so that no file or process is left.
#   start_load [CPU]   starts `yes`, pinned to CPU when given (taskset)
#   stop_load          stops it
work="$(mktemp -d)"
load_pid=""
stop_load() {
    [ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null
    load_pid=""
}
start_load() {
    stop_load
    if [ -n "${1:-}" ]; then
        taskset -c "$1" yes >/dev/null &
    else
        yes >/dev/null &
    fi
    load_pid=$!
}
cleanup_scratch_and_load() {
    stop_load
    rm -rf "$work"
}
trap cleanup_scratch_and_load EXIT
trap 'exit 130' INT TERM

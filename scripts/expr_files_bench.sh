#!/usr/bin/env bash
# `hpcrs expr --input` over two .npy files in the page cache against `cat` reading the same
# files: the target is at least 80% of cat's speed (time ratio cat/expr >= 0.8) in bounded
# memory (peak RSS well under 512 MB whatever the file size).
#   inputs: two N x N f64 arrays (N=16384: 2 GiB each), created with `hpcrs ooc create
#   --fill random` and read once into the page cache; deleted at the end.
#   timed, interleaved (../shared/tools/interleave, median of RUNS runs each):
#     cat A B > /dev/null
#     hpcrs expr 'sum(a*b)'                          (a reduction: nothing written)
#     hpcrs expr 'a*b + 1'                           (elementwise, result discarded)
#     hpcrs expr 'a*b + 1' --out R.npy --no-sync     (elementwise, N*N*8 bytes more written)
#     cat A > C                                      (what writing N*N*8 bytes costs here: a copy)
#   peak RSS of each hpcrs command from /usr/bin/time -v.
# usage: scripts/expr_files_bench.sh     env: HPCRS, N, RUNS, EXPR_BENCH_DIR, INTERLEAVE
set -euo pipefail
cd "$(dirname "$0")/.."
HPCRS=${HPCRS:-target/release/hpcrs}
N=${N:-16384}
RUNS=${RUNS:-7}
DIR=${EXPR_BENCH_DIR:-target/expr-files-bench}
INTERLEAVE=${INTERLEAVE:-../shared/tools/interleave}
[ -x "$HPCRS" ] || cargo build --release -q
mkdir -p "$DIR"
A="$DIR/a.npy"; B="$DIR/b.npy"; R="$DIR/r.npy"; C="$DIR/c.npy"
trap 'rm -f "$A" "$B" "$R" "$C" "$DIR"/.r.npy.*.tmp "$DIR"/time.txt "$DIR"/out.txt' EXIT
BYTES=$((N * N * 8))
# Room for the two inputs, the result and the copy, on disk and in the page cache.
need_kb=$((4 * BYTES / 1024 + (1 << 20)))
avail_kb=$(df -Pk "$DIR" | awk 'NR==2 {print $4}')
cache_kb=$(awk '/MemAvailable/ {print $2}' /proc/meminfo)
if [ "$avail_kb" -lt "$need_kb" ] || [ "$cache_kb" -lt "$need_kb" ]; then
    echo "need $((need_kb >> 20)) GiB of disk and of available memory for N=$N; have" \
         "$((avail_kb >> 20)) GiB of disk, $((cache_kb >> 20)) GiB of memory: lower N" >&2
    exit 1
fi

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "inputs: 2 x ${N}x${N} f64 ($((BYTES >> 20)) MiB each), in the page cache; median of $RUNS interleaved runs"
"$HPCRS" ooc create "$A" --shape "${N}x${N}" --fill random --seed 1 --no-sync -q
"$HPCRS" ooc create "$B" --shape "${N}x${N}" --fill random --seed 2 --no-sync -q
cat "$A" "$B" > /dev/null

IN="--input a=$A --input b=$B -q"
CMDS=("cat $A $B > /dev/null"
      "$HPCRS expr 'sum(a*b)' $IN"
      "$HPCRS expr 'a*b + 1' $IN"
      "rm -f $R; $HPCRS expr 'a*b + 1' $IN --out $R --no-sync"
      "rm -f $C; cat $A > $C")
NAMES=("cat A B > /dev/null"
       "hpcrs expr 'sum(a*b)'"
       "hpcrs expr 'a*b + 1' (result discarded)"
       "hpcrs expr 'a*b + 1' --out R.npy --no-sync"
       "cat A > C (a copy: what writing $((BYTES >> 20)) MiB costs here)")
"$INTERLEAVE" -n "$RUNS" "${CMDS[@]}" > "$DIR/out.txt"
cat "$DIR/out.txt" >&2
mapfile -t MEDIANS < <(awk '/^[A-Z]  wall / {print $3}' "$DIR/out.txt")

rss() { # peak RSS in MiB of the command "$@"
    /usr/bin/time -v -o "$DIR/time.txt" sh -c "$*" > /dev/null
    awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$DIR/time.txt"
}
echo
echo "| command | median s | GiB/s of input | cat time / this time | peak RSS MiB |"
echo "|---|---|---|---|---|"
for k in "${!CMDS[@]}"; do
    t=${MEDIANS[$k]}
    if [ "$k" = 0 ]; then r="-"; else r=$(printf %.2f "$(echo "${MEDIANS[0]} / $t" | bc -l)"); fi
    case "${CMDS[$k]}" in *"$HPCRS"*) m=$(rss "${CMDS[$k]}") ;; *) m="-" ;; esac
    printf '| %s | %.3f | %.2f | %s | %s |\n' "${NAMES[$k]}" "$t" \
        "$(echo "2 * $BYTES / $t / 1073741824" | bc -l)" "$r" "$m"
done

#!/usr/bin/env bash
# run.sh: the loopback comparison of the WebSocket libraries (see README.md).
#
# Builds cmd/echoserver, cmd/load and cmd/report; then, for every cell (a
# message size and number of connections, with or without compression, and
# the memory of idle connections), runs every library's echo server
# REPEATS times, the libraries in a fresh random order for each repetition;
# and prints one markdown table of medians with their range, the machine it
# ran on, and (unless INPROCESS=none) a short run of the in-process
# benchmarks. Raw results are kept in $OUT.
#
# Settings, from the environment:
#   REPEATS=5          runs of each library in each cell
#   DURATION=1.5s      measured window of a throughput run (after WARMUP=300ms)
#   IDLE_CONNS=10000   connections held open for the memory cell (0: skip it)
#   LIBS="ours gorilla coder gobwas gws"
#   IDLE_LIBS="$LIBS ours-http"   the memory cell also measures ours behind net/http
#   INPROCESS=short    or none: skip the in-process benchmarks
#   BENCHTIME=100ms    -benchtime of the in-process benchmarks
#   OUT=results/DATE   where the raw results go
set -euo pipefail
cd "$(dirname "$0")"

REPEATS=${REPEATS:-5}
DURATION=${DURATION:-1.5s}
WARMUP=${WARMUP:-300ms}
IDLE_CONNS=${IDLE_CONNS:-10000}
LIBS=${LIBS:-"ours gorilla coder gobwas gws"}
IDLE_LIBS=${IDLE_LIBS:-"$LIBS ours-http"}
INPROCESS=${INPROCESS:-short}
BENCHTIME=${BENCHTIME:-100ms}
OUT=${OUT:-results/$(date +%Y%m%d-%H%M%S)}

# Cells: name|message size|connections|compression (0 or 1).
CELLS=(
	"16 B × 1 conn|16|1|0"
	"16 B × 64 conns|16|64|0"
	"1 KiB × 1 conn|1024|1|0"
	"1 KiB × 64 conns|1024|64|0"
	"64 KiB × 1 conn|65536|1|0"
	"64 KiB × 64 conns|65536|64|0"
	"1 MiB × 1 conn|1048576|1|0"
	"1 MiB × 64 conns|1048576|64|0"
	"1 KiB deflate × 1 conn|1024|1|1"
	"1 KiB deflate × 64 conns|1024|64|1"
)

start=$(date +%s)
mkdir -p "$OUT"
RESULTS=$OUT/results.tsv
: >"$RESULTS"
# shellcheck source=server.sh
source ./server.sh

echo "building..." >&2
go build -o "$TMP/" ./cmd/echoserver ./cmd/load ./cmd/report

# Both the server and the load client hold IDLE_CONNS sockets.
want=$((IDLE_CONNS + 1000))
ulimit -n "$want" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if ((IDLE_CONNS > 0 && $(ulimit -n) < want)); then
	echo "run.sh: open file limit $(ulimit -n) is below $want; lowering IDLE_CONNS" >&2
	IDLE_CONNS=$(($(ulimit -n) - 1000))
fi
CLK_TCK=$(getconf CLK_TCK)

machine() {
	echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores"
	echo "- $(go version | cut -d' ' -f3-), kernel $(uname -r)"
	echo "- load average before: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- $REPEATS runs per library and cell, each ${DURATION} after ${WARMUP} of warm-up; idle memory with $IDLE_CONNS connections"
}
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# record CELL LIB REP OUTPUT: appends a result line and shows progress.
total=$((${#CELLS[@]} * REPEATS * $(wc -w <<<"$LIBS")))
if ((IDLE_CONNS > 0)); then total=$((total + REPEATS * $(wc -w <<<"$IDLE_LIBS"))); fi
done_runs=0
record() {
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$RESULTS"
	done_runs=$((done_runs + 1))
	printf '[%d/%d] %s, run %s, %s: %s\n' "$done_runs" "$total" "$1" "$3" "$2" "$4" >&2
}

# measure CELL LIB REP DEFLATE LOAD-FLAGS...: runs cmd/load with LOAD-FLAGS
# (and -deflate when DEFLATE is 1) against a fresh echo server of LIB, and
# records its output, or its failure.
measure() {
	local name=$1 lib=$2 rep=$3 deflate=$4 out
	shift 4
	if ((deflate)); then set -- "$@" -deflate; fi
	if start_server "$lib" "$deflate" &&
		out=$("$TMP/load" -addr "$ADDR" -pid "$SPID" "$@" 2>"$TMP/load.err"); then
		record "$name" "$lib" "$rep" "$out"
	else
		record "$name" "$lib" "$rep" "error=1 $(tr '\n' ' ' <"$TMP/load.err")"
	fi
	stop_server
}

for cell in "${CELLS[@]}"; do
	IFS='|' read -r name size conns deflate <<<"$cell"
	for rep in $(seq "$REPEATS"); do
		for lib in $(shuf -e $LIBS); do
			measure "$name" "$lib" "$rep" "$deflate" -conns "$conns" -size "$size" \
				-warmup "$WARMUP" -duration "$DURATION" -clk-tck "$CLK_TCK"
		done
	done
done

if ((IDLE_CONNS > 0)); then
	for rep in $(seq "$REPEATS"); do
		for lib in $(shuf -e $IDLE_LIBS); do
			measure "$IDLE_CONNS idle conns" "$lib" "$rep" 0 -idle "$IDLE_CONNS"
		done
	done
fi

if [[ $INPROCESS != none ]]; then
	echo "in-process benchmarks (-benchtime $BENCHTIME)..." >&2
	go test -run '^$' -bench . -benchmem -benchtime "$BENCHTIME" . >"$OUT/inprocess.txt"
fi

{
	echo "## Loopback echo servers"
	echo
	machine
	echo
	"$TMP/report" "$RESULTS"
	echo
	echo "Each entry: median (min–max) of the runs. The last column is ours ÷ the best other library for costs (CPU, memory), the best ÷ ours for msg/s: above 1, ours is behind by that factor."
	if [[ $INPROCESS != none ]]; then
		echo
		echo "## In-process benchmarks"
		echo
		echo "Median time per operation with allocations per operation (-benchtime $BENCHTIME); the last column is ours ÷ the fastest other library."
		echo
		"$TMP/report" -bench "$OUT/inprocess.txt"
	fi
	echo
	echo "Finished in $(($(date +%s) - start)) s; raw results in $OUT."
} | tee "$OUT/report.md"

#!/usr/bin/env bash
# syscalls.sh: the system calls each library's echo server makes per echoed
# message, counted by perf on the kernel's syscall tracepoints (see
# README.md, "System calls per message").
#
# For every cell and library it starts cmd/echoserver, drives it with
# cmd/load, and counts the server's read, write, writev, epoll_pwait and
# futex calls while load measures: perf starts when load's warm-up ends and
# stops after the measured window, so the two windows agree to a few
# milliseconds in DURATION. Prints a markdown table of calls per message,
# the median of REPEATS runs.
#
# Needs perf with access to the syscalls:* tracepoints (root, or
# kernel.perf_event_paranoid <= -1 and a readable tracefs).
#
# Settings, from the environment:
#   REPEATS=3          runs of each library in each cell
#   DURATION=2s        measured window (after WARMUP=500ms)
#   LIBS="ours gorilla coder gobwas gws"
set -euo pipefail
cd "$(dirname "$0")"

REPEATS=${REPEATS:-3}
DURATION=${DURATION:-2s}
WARMUP=${WARMUP:-500ms}
LIBS=${LIBS:-"ours gorilla coder gobwas gws"}
CALLS="read write writev epoll_pwait futex"

# Cells: name|message size|connections|messages in flight|fragment size.
CELLS=(
	"16 B × 1 conn|16|1|1|0"
	"16 B × 64 conns|16|64|1|0"
	"1 KiB × 64 conns|1024|64|1|0"
	"64 KiB × 64 conns|65536|64|1|0"
	"1 MiB × 1 conn|1048576|1|1|0"
	"1 MiB burst: 4 conns × 4 in flight, 64 KiB fragments|1048576|4|4|65536"
)

if ! perf stat -e syscalls:sys_enter_read true 2>/dev/null; then
	echo "syscalls.sh: perf cannot count syscall tracepoints here" >&2
	exit 1
fi

# shellcheck source=server.sh
source ./server.sh
go build -o "$TMP/" ./cmd/echoserver ./cmd/load

secs() { # a Go duration of s or ms, in seconds
	case $1 in
	*ms) echo "scale=3; ${1%ms} / 1000" | bc ;;
	*s) echo "${1%s}" ;;
	esac
}
warm=$(secs "$WARMUP")
dur=$(secs "$DURATION")
events=$(for c in $CALLS; do printf 'syscalls:sys_enter_%s,' "$c"; done)
events=${events%,}

# run LIB SIZE CONNS INFLIGHT FRAGMENT: prints the calls per message, one
# column per call in CALLS, then their sum.
run() {
	start_server "$1" 0
	local addr=$ADDR
	"$TMP/load" -addr "$addr" -conns "$3" -inflight "$4" -size "$2" -fragment "$5" \
		-warmup "$WARMUP" -duration "$DURATION" >"$TMP/load.out" &
	local lpid=$!
	sleep "$warm"
	perf stat -x, -e "$events" -p "$SPID" -- sleep "$dur" 2>"$TMP/perf.out" >/dev/null
	wait "$lpid"
	stop_server
	local msgs
	msgs=$(sed -n 's/.*msgs=\([0-9]*\).*/\1/p' "$TMP/load.out")
	awk -F, -v msgs="$msgs" -v calls="$CALLS" '
		{ n[$3] = $1 }
		END {
			k = split(calls, c, " "); sum = 0
			for (i = 1; i <= k; i++) {
				v = n["syscalls:sys_enter_" c[i]] / msgs; sum += v
				printf "%.2f ", v
			}
			printf "%.2f\n", sum
		}' "$TMP/perf.out"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "- $(go version | cut -d' ' -f3-), kernel $(uname -r), $(nproc) cores; median of $REPEATS runs, ${DURATION} each"
echo
printf '| cell | library |'
for c in $CALLS; do printf ' %s |' "$c"; done
printf ' all |\n|---|---|'
for c in $CALLS all; do printf -- '---|'; done
echo
for cell in "${CELLS[@]}"; do
	IFS='|' read -r name size conns inflight fragment <<<"$cell"
	for lib in $LIBS; do
		: >"$TMP/runs"
		for _ in $(seq "$REPEATS"); do
			run "$lib" "$size" "$conns" "$inflight" "$fragment" >>"$TMP/runs"
		done
		printf '| %s | %s |' "$name" "$lib"
		k=$(($(wc -w <<<"$CALLS") + 1))
		for i in $(seq "$k"); do
			printf ' %s |' "$(cut -d' ' -f"$i" "$TMP/runs" | median)"
		done
		echo
	done
done

# server.sh, sourced by run.sh and syscalls.sh: a scratch directory, $TMP,
# removed on exit after the running echo server is stopped, and the
# commands that start and stop an echo server. The sourcing script builds
# cmd/echoserver into $TMP.

TMP=$(mktemp -d)
SPID=
cleanup() {
	if [[ -n $SPID ]]; then kill "$SPID" 2>/dev/null || true; fi
	rm -rf "$TMP"
}
trap cleanup EXIT

# start_server LIB DEFLATE: starts an echo server on a free loopback port,
# setting SPID and ADDR.
start_server() {
	local flags=()
	if (($2)); then flags+=(-deflate); fi
	rm -f "$TMP/server.out" # not to read the previous server's address
	"$TMP/echoserver" -lib "$1" -addr 127.0.0.1:0 "${flags[@]}" >"$TMP/server.out" 2>"$TMP/server.err" &
	SPID=$!
	for _ in $(seq 200); do
		ADDR=$(sed -n 's/^listening on //p' "$TMP/server.out" 2>/dev/null)
		if [[ -n $ADDR ]]; then return 0; fi
		sleep 0.025
	done
	echo "echoserver -lib $1 did not start: $(cat "$TMP/server.err")" >&2
	return 1
}

stop_server() {
	kill "$SPID" 2>/dev/null || true
	wait "$SPID" 2>/dev/null || true
	SPID=
}


#!/usr/bin/env bash
# Runs the Autobahn testsuite (https://github.com/crossbario/autobahn-testsuite)
# against this package, using the crossbario/autobahn-testsuite Docker image:
#
#   server  Autobahn's fuzzingclient tests our echo server (autobahn/server).
#   client  Autobahn's fuzzingserver tests our client (autobahn/client).
#
# Usage: autobahn/run.sh [server|client|both]
#
# The mode defaults to $AUTOBAHN_MODE, else both. $AUTOBAHN_IMAGE overrides
# the image. $AUTOBAHN_SERVER_FLAGS are given to the echo server: "-events"
# tests it with an EventLoop reading the connections. Reports go to autobahn/reports/server and autobahn/reports/client;
# the script ends by summarizing them with autobahn/check and exits with its
# status: 0 when every case passed, 1 when some did not.
#
# Both sides use 127.0.0.1:9001 and the containers share the host's network,
# which needs Docker on Linux.
set -euo pipefail

mode=${1:-${AUTOBAHN_MODE:-both}}
image=${AUTOBAHN_IMAGE:-crossbario/autobahn-testsuite}
agent=f30c7f75-websocket # must match the agent in fuzzingclient.json
host=127.0.0.1
port=9001 # must match the urls in both json files

case $mode in
server | client | both) ;;
*)
	echo "usage: $0 [server|client|both]" >&2
	exit 2
	;;
esac

for tool in go docker; do
	if ! command -v "$tool" >/dev/null; then
		echo "run.sh: $tool is needed but not installed" >&2
		exit 1
	fi
done
# The docker command may be there with no daemon to answer it; say so
# before building anything.
if ! docker info >/dev/null 2>&1; then
	echo "run.sh: no Docker daemon answers 'docker info': start it (for example 'sudo systemctl start docker'), or make your user a member of the docker group, then run this again" >&2
	exit 1
fi

# Work from the repository root, wherever the script is called from.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

bin=$(mktemp -d)
server_pid=
container=

# cleanup stops whatever this script started that is still running. It is
# only called by the trap, which shellcheck does not see.
# shellcheck disable=SC2317
cleanup() {
	if [[ -n $server_pid ]]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	if [[ -n $container ]]; then
		docker rm -f "$container" >/dev/null 2>&1 || true
	fi
	rm -rf "$bin"
}
trap cleanup EXIT
# Exiting from these traps runs the EXIT trap too.
trap 'exit 130' INT
trap 'exit 143' TERM

# port_open reports whether something accepts connections on host:port.
port_open() {
	(exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
}

# wait_for_port waits up to $1 seconds for host:port to accept connections.
wait_for_port() {
	local deadline=$((SECONDS + $1))
	until port_open; do
		if ((SECONDS >= deadline)); then
			echo "run.sh: nothing listens on $host:$port after $1 seconds" >&2
			return 1
		fi
		sleep 0.2
	done
}

# require_free_port fails if host:port is taken, as waiting for it to open
# would then wait for the wrong program.
require_free_port() {
	if port_open; then
		echo "run.sh: $host:$port is already in use" >&2
		exit 1
	fi
}

# docker_run runs the testsuite image with the config folder and the
# reports folder mounted. The working directory is /, so the outdirs in the
# json files ("./reports/...") land in the reports folder.
docker_run() {
	docker run --network host --workdir / \
		-v "$root/autobahn:/config:ro" \
		-v "$root/autobahn/reports:/reports" \
		"$@"
}

# test_server runs our echo server and Autobahn's fuzzingclient against it.
test_server() {
	echo "== Autobahn fuzzingclient against autobahn/server"
	require_free_port
	# shellcheck disable=SC2086 # the flags are words
	"$bin/server" -addr "$host:$port" ${AUTOBAHN_SERVER_FLAGS:-} &
	server_pid=$!
	wait_for_port 10
	container=autobahn-fuzzingclient-$$
	docker_run --rm --name "$container" "$image" \
		wstest -m fuzzingclient -s /config/fuzzingclient.json
	container=
	kill "$server_pid"
	wait "$server_pid" || echo "run.sh: the server exited with status $?" >&2
	server_pid=
}

# test_client runs Autobahn's fuzzingserver and our client against it.
test_client() {
	echo "== autobahn/client against Autobahn fuzzingserver"
	require_free_port
	container=autobahn-fuzzingserver-$$
	# Not --rm, so that its logs survive it failing to start.
	docker_run -d --name "$container" "$image" \
		wstest -m fuzzingserver -s /config/fuzzingserver.json >/dev/null
	if ! wait_for_port 60; then
		docker logs "$container" >&2 || true
		exit 1
	fi
	# The client returns once the fuzzingserver has written its reports.
	"$bin/client" -url "ws://$host:$port" -agent "$agent"
	docker stop "$container" >/dev/null
	docker rm "$container" >/dev/null
	container=
}

echo "== building"
go build -o "$bin/" ./autobahn/server ./autobahn/client ./autobahn/check
mkdir -p autobahn/reports

reports=()
if [[ $mode != client ]]; then
	test_server
	reports+=(autobahn/reports/server/index.json)
fi
if [[ $mode != server ]]; then
	test_client
	reports+=(autobahn/reports/client/index.json)
fi

echo "== results"
status=0
"$bin/check" "${reports[@]}" || status=$?
exit "$status"

#!/usr/bin/env bash
# Three portal instances behind HAProxy on this machine, as in production:
# one PostgreSQL, one Redis, one S3 bucket for the files (the services of the
# cluster profile of infra/dev/services.sh, with Mailpit for the mail).
#
# Usage: infra/dev/cluster.sh [run]
#        infra/dev/cluster.sh restart N
#        infra/dev/cluster.sh haproxy
#
#   run        build .data/bin/portal, start the services, migrate, load the
#              demo data, start the three instances and HAProxy in the
#              foreground; Ctrl-C (SIGINT) or SIGTERM stops HAProxy and the
#              instances (each drains, then finishes its requests) and leaves
#              the services running, as make run does
#   restart N  restart instance N (1, 2 or 3) of a running cluster, one step
#              of a rolling restart: SIGTERM, wait for it to exit, start it
#              again (from the binary as it is now), wait until its /readyz
#              answers 200 and HAProxy counts it UP
#   haproxy    print the path of the haproxy binary, installing it first
#              when it is missing (make faults uses it)
#
# PORTAL_PORTS  ports of the instances on 127.0.0.1 (default "8081 8082 8083")
# LB_ADDR       where HAProxy listens                (default 127.0.0.1:8080)
# LB_STATS_ADDR where its stats page listens         (default 127.0.0.1:8404)
# HAPROXY       the haproxy binary (default: from PATH, or /usr/sbin/haproxy)
#
# The instances get the environment of infra/dev/with-env.sh cluster plus
# PORTAL_DRAIN_DELAY=2s and PORTAL_TRUSTED_PROXIES=127.0.0.1 (HAProxy's
# address), unless set; each logs to .data/cluster/portal-N.log. HAProxy's
# configuration is infra/haproxy/local.cfg. When haproxy is missing and the
# script runs as root with apt-get available, it installs the Debian package
# haproxy.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT="$(cd "$HERE/../.." && pwd -P)"
SCRIPT="$HERE/$(basename "${BASH_SOURCE[0]}")"
readonly HERE ROOT SCRIPT

DATA_DIR="$ROOT/.data/cluster"
BIN="$ROOT/.data/bin/portal"
CFG="$ROOT/infra/haproxy/local.cfg"
# Held by "run" while the cluster runs; "restart" needs a running cluster.
LOCK="$DATA_DIR/cluster.lock"
READY_SECONDS=30
# The drain delay, PORTAL_SHUTDOWN_TIMEOUT (30s by default) and some margin.
STOP_SECONDS=45

PORTAL_PORTS=${PORTAL_PORTS:-8081 8082 8083}
LB_ADDR=${LB_ADDR:-127.0.0.1:8080}
LB_STATS_ADDR=${LB_STATS_ADDR:-127.0.0.1:8404}

log() { printf 'cluster: %s\n' "$*" >&2; }
die() {
	printf 'cluster: error: %s\n' "$*" >&2
	exit 1
}

usage() {
	sed -n '2,25s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

CMD=${1:-run}
case "$CMD" in
run | haproxy) [ $# -le 1 ] || usage ;;
restart)
	[ $# -eq 2 ] || usage
	[[ "$2" =~ ^[123]$ ]] || die "restart: N must be 1, 2 or 3, got '$2'"
	;;
*) usage ;;
esac

read -r -a PORTS <<<"$PORTAL_PORTS"
[ ${#PORTS[@]} -eq 3 ] ||
	die "PORTAL_PORTS must name three ports (infra/haproxy/local.cfg balances three instances), got '$PORTAL_PORTS'"
for p in "${PORTS[@]}"; do
	[[ "$p" =~ ^[0-9]+$ ]] || die "PORTAL_PORTS must be port numbers, got '$p'"
done
for a in "$LB_ADDR" "$LB_STATS_ADDR"; do
	[[ "$a" =~ ^[^\ ]*:[0-9]+$ ]] || die "LB_ADDR and LB_STATS_ADDR must be HOST:PORT, got '$a'"
done

# rel PATH: PATH relative to the repository root, for messages.
rel() {
	case "$1" in
	"$ROOT"/*) printf '%s' "${1#"$ROOT"/}" ;;
	*) printf '%s' "$1" ;;
	esac
}

# loopback ADDR: the address to connect to for a listen address HOST:PORT
# (127.0.0.1 for an empty or wildcard host).
loopback() {
	local host=${1%:*} port=${1##*:}
	case "$host" in
	"" | "*" | 0.0.0.0 | "[::]") host=127.0.0.1 ;;
	esac
	printf '%s:%s' "$host" "$port"
}

# port_open HOST:PORT: true when something accepts TCP connections there.
port_open() {
	local a host port
	a=$(loopback "$1")
	host=${a%:*} port=${a##*:}
	host=${host#[}
	host=${host%]}
	(exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
}

# http_code URL: the HTTP status of GET URL, 000 when there is no answer.
http_code() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" 2>/dev/null || true
}

# ----------------------------------------------------------------- haproxy --

# find_haproxy: sets HAPROXY, installing the Debian package when it is
# missing and this runs as root with apt-get (as services.sh does for
# PostgreSQL and Redis).
find_haproxy() {
	if [ -n "${HAPROXY:-}" ]; then
		[ -x "$HAPROXY" ] || HAPROXY=$(command -v "$HAPROXY" 2>/dev/null) || die "HAPROXY=$HAPROXY is not an executable"
		return 0
	fi
	HAPROXY=$(command -v haproxy 2>/dev/null) || HAPROXY=""
	[ -n "$HAPROXY" ] || [ ! -x /usr/sbin/haproxy ] || HAPROXY=/usr/sbin/haproxy
	[ -z "$HAPROXY" ] || return 0
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
		log "haproxy is missing; installing the package haproxy with apt-get"
		apt-get update >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=300 \
			haproxy </dev/null >&2
		HAPROXY=$(command -v haproxy 2>/dev/null) || HAPROXY=/usr/sbin/haproxy
		[ -x "$HAPROXY" ] || die "haproxy still not found after installing"
	elif command -v apt-get >/dev/null 2>&1; then
		die "haproxy not found. Install the package with:
    sudo apt-get install haproxy"
	else
		die "haproxy not found. Install HAProxy (2.4 or later) so that haproxy is on PATH, or set HAPROXY"
	fi
}

# haproxy_status N: HAProxy's state of instance N (UP, DOWN, "UP 1/2", ...)
# from the stats page's CSV; empty when the page does not answer.
haproxy_status() {
	curl -s --max-time 2 "http://$(loopback "$LB_STATS_ADDR")/;csv" 2>/dev/null |
		awk -F, -v s="portal$1" '$1 == "portal" && $2 == s { print $18 }' || true
}

# --------------------------------------------------------------- instances --

pid_file() { printf '%s/portal-%s.pid' "$DATA_DIR" "$1"; }
addr_file() { printf '%s/portal-%s.addr' "$DATA_DIR" "$1"; }
log_file() { printf '%s/portal-%s.log' "$DATA_DIR" "$1"; }

# alive PID: the process runs (a zombie that awaits its parent does not count).
alive() {
	kill -0 "$1" 2>/dev/null || return 1
	[ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" != Z ]
}

# instance_pid N: prints the pid of instance N when it runs (the pid in its
# pid file is alive and, where /proc tells, is this portal binary serving).
instance_pid() {
	local f pid
	f=$(pid_file "$1")
	[ -s "$f" ] || return 1
	pid=$(<"$f")
	[[ "$pid" =~ ^[0-9]+$ ]] && alive "$pid" || return 1
	if [ -r "/proc/$pid/cmdline" ]; then
		[ "$(tr '\0' '\n' <"/proc/$pid/cmdline" | sed -n 2p)" = serve ] || return 1
		[ "$(tr '\0' '\n' <"/proc/$pid/cmdline" | sed -n 1p)" = "$BIN" ] || return 1
	fi
	printf '%s' "$pid"
}

# start_instance N ADDR: starts "portal serve" on ADDR. setsid keeps it out
# of the terminal's process group: a Ctrl-C reaches this script, which stops
# HAProxy first and then the instances. 7>&- keeps it from holding the lock.
start_instance() {
	local n=$1 addr=$2 launch=()
	command -v setsid >/dev/null 2>&1 && launch=(setsid)
	printf '%s\n' "$addr" >"$(addr_file "$n")"
	PORTAL_ADDR=$addr "${launch[@]}" "$BIN" serve </dev/null >>"$(log_file "$n")" 2>&1 7>&- &
	echo $! >"$(pid_file "$n")"
}

# wait_ready N ADDR: waits until instance N answers /readyz with 200.
wait_ready() {
	local n=$1 addr=$2 pid i code=""
	pid=$(<"$(pid_file "$n")")
	for ((i = 0; i < READY_SECONDS * 5; i++)); do
		if ! alive "$pid"; then
			tail -n 5 "$(log_file "$n")" >&2 || true
			die "instance $n exited at start, see $(rel "$(log_file "$n")")"
		fi
		code=$(http_code "http://$addr/readyz")
		[ "$code" = 200 ] && return 0
		sleep 0.2
	done
	die "instance $n on $addr did not get ready within ${READY_SECONDS}s (GET /readyz: $code), see $(rel "$(log_file "$n")")"
}

# stop_instances N...: sends SIGTERM to the instances that run and waits for
# them to exit; after STOP_SECONDS they get SIGKILL.
stop_instances() {
	local n pid i pids=() left
	for n in "$@"; do
		if pid=$(instance_pid "$n"); then
			kill -TERM "$pid" 2>/dev/null || true
			pids+=("$pid")
		fi
		rm -f "$(pid_file "$n")"
	done
	[ ${#pids[@]} -gt 0 ] || return 0
	for ((i = 0; i < STOP_SECONDS * 5; i++)); do
		left=()
		for pid in "${pids[@]}"; do
			alive "$pid" && left+=("$pid")
		done
		[ ${#left[@]} -gt 0 ] || break
		sleep 0.2
	done
	for pid in "${left[@]}"; do
		log "pid $pid did not stop within ${STOP_SECONDS}s; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	done
	# Reap the ones this shell started.
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
}

# ------------------------------------------------------------------- run --

HAPROXY_PID=""
STOPPING=0

cleanup() {
	local rc=$?
	trap '' INT TERM HUP
	if [ -n "$HAPROXY_PID" ] && alive "$HAPROXY_PID"; then
		log "stopping HAProxy"
		kill -TERM "$HAPROXY_PID" 2>/dev/null || true
	fi
	[ -z "$HAPROXY_PID" ] || wait "$HAPROXY_PID" 2>/dev/null || true
	log "stopping the instances (SIGTERM; each drains for $PORTAL_DRAIN_DELAY, then finishes its requests)"
	stop_instances 1 2 3
	log "stopped; the services keep running (infra/dev/services.sh down cluster stops them)"
	if [ "$STOPPING" = 1 ]; then
		exit 0
	fi
	exit "$rc"
}

cmd_run() {
	mkdir -p "$DATA_DIR"
	exec 7>"$LOCK"
	if command -v flock >/dev/null 2>&1; then
		flock -n 7 || die "another cluster is running (infra/dev/cluster.sh run); stop it first"
	fi
	# Instances left over from a run that was killed.
	local n left=()
	for n in 1 2 3; do
		if instance_pid "$n" >/dev/null; then left+=("$n"); fi
	done
	if [ ${#left[@]} -gt 0 ]; then
		log "instances ${left[*]} of an earlier run are still running; stopping them"
		stop_instances "${left[@]}"
	fi
	local a
	for a in "${ADDRS[@]}" "$LB_ADDR" "$LB_STATS_ADDR"; do
		if port_open "$a"; then
			die "$a is in use by another process; set PORTAL_PORTS, LB_ADDR or LB_STATS_ADDR to free ports"
		fi
	done
	"$HAPROXY" -c -q -f "$CFG" 7>&- || die "$(rel "$CFG") is not valid (haproxy -c -f $(rel "$CFG"))"

	"$BIN" migrate 7>&-
	"$BIN" seed-demo 7>&-

	trap cleanup EXIT
	trap 'STOPPING=1; exit 0' INT TERM HUP
	for n in 1 2 3; do
		start_instance "$n" "${ADDRS[n - 1]}"
	done
	for n in 1 2 3; do
		wait_ready "$n" "${ADDRS[n - 1]}"
	done

	LB_ADDR=$LB_ADDR LB_STATS_ADDR=$LB_STATS_ADDR \
		PORTAL_1=${ADDRS[0]} PORTAL_2=${ADDRS[1]} PORTAL_3=${ADDRS[2]} \
		"$HAPROXY" -db -f "$CFG" </dev/null 7>&- &
	HAPROXY_PID=$!
	printf '%s\n' "$LB_STATS_ADDR" >"$DATA_DIR/stats.addr"
	local i
	for ((i = 0; i < READY_SECONDS * 5; i++)); do
		alive "$HAPROXY_PID" || die "HAProxy exited at start"
		port_open "$LB_ADDR" && break
		sleep 0.2
	done
	port_open "$LB_ADDR" || die "HAProxy does not accept connections on $LB_ADDR"

	{
		echo
		echo "Three portal instances behind HAProxy:"
		echo "  balancer   http://$(loopback "$LB_ADDR")/  (PORTAL_BASE_URL $PORTAL_BASE_URL)"
		echo "  stats      http://$(loopback "$LB_STATS_ADDR")/  (HAProxy: which instances are UP)"
		for n in 1 2 3; do
			echo "  instance $n http://${ADDRS[n - 1]}/  pid $(<"$(pid_file "$n")"), log $(rel "$(log_file "$n")")"
		done
		echo "  mail       http://127.0.0.1:${MAILPIT_PORT:-28027}/  (Mailpit)"
		echo "  files      S3 bucket portal-cluster, versitygw on 127.0.0.1:${S3_PORT:-29001}"
		echo "  restart    infra/dev/cluster.sh restart N  (make cluster-restart N=2)"
		echo "  stop       Ctrl-C; the services keep running (infra/dev/services.sh down cluster)"
		echo "HAProxy's request log follows."
		echo
	} >&2
	local rc=0
	wait "$HAPROXY_PID" || rc=$?
	HAPROXY_PID=""
	log "HAProxy exited ($rc)"
	exit "$rc"
}

# --------------------------------------------------------------- restart --

# require_cluster: "run" holds the lock while the cluster runs.
require_cluster() {
	mkdir -p "$DATA_DIR"
	exec 7>"$LOCK"
	if command -v flock >/dev/null 2>&1 && flock -n 7; then
		die "no cluster is running (start it with make run-cluster)"
	fi
	exec 7>&-
	[ -s "$(addr_file "$1")" ] || die "instance $1 has never run"
}

cmd_restart() {
	local n=$1 addr pid i st="" stats_addr
	addr=$(<"$(addr_file "$n")")
	stats_addr=$LB_STATS_ADDR
	[ -s "$DATA_DIR/stats.addr" ] && stats_addr=$(<"$DATA_DIR/stats.addr")
	if pid=$(instance_pid "$n"); then
		log "instance $n (pid $pid, $addr): SIGTERM; it drains for $PORTAL_DRAIN_DELAY, then finishes its requests"
		stop_instances "$n"
		log "instance $n exited"
	else
		log "instance $n is not running"
	fi
	start_instance "$n" "$addr"
	log "instance $n started (pid $(<"$(pid_file "$n")")), waiting for GET /readyz to answer 200"
	wait_ready "$n" "$addr"
	log "instance $n is ready; waiting for HAProxy to count it UP"
	for ((i = 0; i < READY_SECONDS * 5; i++)); do
		st=$(LB_STATS_ADDR=$stats_addr haproxy_status "$n")
		[ "$st" = UP ] && break
		sleep 0.2
	done
	if [ "$st" = UP ]; then
		log "instance $n is back: HAProxy counts it UP"
	else
		die "HAProxy does not count instance $n UP within ${READY_SECONDS}s (state '${st:-no answer from http://$(loopback "$stats_addr")/}')"
	fi
}

# ------------------------------------------------------------------ main --

# haproxy needs neither the services nor the binary.
if [ "$CMD" = haproxy ]; then
	find_haproxy
	printf '%s\n' "$HAPROXY"
	exit 0
fi

# Everything else runs in the environment of the cluster profile; with-env.sh
# starts the services and execs this script again.
if [ "${PORTAL_CLUSTER_ENV:-}" != 1 ]; then
	if [ "$CMD" = restart ]; then
		require_cluster "$2"
	else
		find_haproxy
		log "building $(rel "$BIN")"
		(cd "$ROOT" && "${GO:-go}" build -o "$BIN" ./app/cmd/portal)
	fi
	export HAPROXY LB_ADDR LB_STATS_ADDR PORTAL_PORTS
	export PORTAL_BASE_URL="${PORTAL_BASE_URL:-http://localhost:${LB_ADDR##*:}}"
	export PORTAL_DRAIN_DELAY="${PORTAL_DRAIN_DELAY:-2s}"
	export PORTAL_TRUSTED_PROXIES="${PORTAL_TRUSTED_PROXIES:-127.0.0.1}"
	PORTAL_CLUSTER_ENV=1 exec "$HERE/with-env.sh" cluster "$SCRIPT" "$@"
fi

ADDRS=()
for p in "${PORTS[@]}"; do
	ADDRS+=("127.0.0.1:$p")
done
[ -x "$BIN" ] || die "$(rel "$BIN") is missing; run make build"
case "$CMD" in
run) cmd_run ;;
restart) cmd_restart "$2" ;;
esac

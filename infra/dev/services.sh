#!/usr/bin/env bash
# Project-local PostgreSQL, Redis and a mail catcher (and an S3 server for
# tests and for several instances) for local development and tests.
#
# Usage: infra/dev/services.sh COMMAND PROFILE
#
#   COMMAND  up       start the services of PROFILE (reuses running ones)
#            down     stop the services of PROFILE
#            status   show whether the services of PROFILE are running
#            env      print DATABASE_URL=..., REDIS_URL=..., SMTP_URL=... (and
#                     PORTAL_TEST_MAILPIT_URL=..., PORTAL_TEST_S3_URL=... for
#                     test, PORTAL_FILE_STORE=... for cluster) lines
#   PROFILE  run      PostgreSQL 127.0.0.1:25432 (db portal),      Redis 127.0.0.1:26379,
#                     Mailpit SMTP 127.0.0.1:21025, web UI/API 127.0.0.1:28025
#            test     PostgreSQL 127.0.0.1:25433 (db portal_test), Redis 127.0.0.1:26380,
#                     Mailpit SMTP 127.0.0.1:21026, API 127.0.0.1:28026,
#                     S3 (versitygw) 127.0.0.1:29000 (bucket portal-test)
#            faults   like test, on PostgreSQL 25435, Redis 26382, Mailpit 21028/28028,
#                     S3 29002: the servers the fault runs (make faults) stop
#            bench    like test, on PostgreSQL 25436, Redis 26383, Mailpit 21029/28029,
#                     S3 29003, with PostgreSQL as durable as in production
#                     (make bench)
#            cluster  PostgreSQL 127.0.0.1:25434 (db portal),      Redis 127.0.0.1:26381,
#                     Mailpit SMTP 127.0.0.1:21027, web UI/API 127.0.0.1:28027,
#                     S3 (versitygw) 127.0.0.1:29001 (bucket portal-cluster),
#                     for several portal instances (infra/dev/cluster.sh)
#
# The ports lie below Linux's ephemeral range (32768-60999 by default), from
# which the kernel picks the local port of every outgoing connection: one of
# those could hold a service's port and keep the service from starting. They
# can be overridden with PG_PORT, REDIS_PORT, SMTP_PORT, MAILPIT_PORT
# and S3_PORT. Data and logs live in .data/PROFILE/ at the repository root.
# When DATABASE_URL, REDIS_URL, SMTP_URL and/or PORTAL_TEST_S3_URL (test) or
# PORTAL_FILE_STORE (cluster) are already set, "up" leaves the corresponding
# service alone and "env" prints the preset value, so
# `eval "$(infra/dev/services.sh env run)"` never overrides a URL given by
# the caller. The tests read their mail back from Mailpit, so for the test
# profile a preset SMTP_URL counts only together with PORTAL_TEST_MAILPIT_URL.
#
# The servers are the system's binaries (Debian/Ubuntu packages postgresql,
# postgresql-contrib and redis-server). When they are missing and the script
# runs as root with apt-get available, it installs them. The mail catcher
# Mailpit and the S3 server of the test and cluster profiles, versitygw, are
# built with Go from the versions pinned in tools/go.mod into .data/bin/, again
# only when tools/go.mod or tools/go.sum change. "up" creates the cluster
# profile's bucket (the tests create theirs themselves). The test Mailpit
# refuses recipients with "=" in the address (550), so tests can see a
# permanent refusal.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT="$(cd "$SCRIPT_DIR/../.." && pwd -P)"
readonly SCRIPT_DIR ROOT

PG_USER=portal
WAIT_SECONDS=30

log() { printf 'services: %s\n' "$*" >&2; }
die() {
	printf 'services: error: %s\n' "$*" >&2
	exit 1
}

usage() {
	sed -n '2,24s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

[ $# -eq 2 ] || usage
CMD=$1
PROFILE=$2

case "$PROFILE" in
run)
	PG_PORT=${PG_PORT:-25432}
	REDIS_PORT=${REDIS_PORT:-26379}
	SMTP_PORT=${SMTP_PORT:-21025}
	MAILPIT_PORT=${MAILPIT_PORT:-28025}
	PG_DB=portal
	;;
test)
	PG_PORT=${PG_PORT:-25433}
	REDIS_PORT=${REDIS_PORT:-26380}
	SMTP_PORT=${SMTP_PORT:-21026}
	MAILPIT_PORT=${MAILPIT_PORT:-28026}
	S3_PORT=${S3_PORT:-29000}
	PG_DB=portal_test
	;;
faults)
	# The test profile on ports of its own: the fault runs (make faults) stop
	# and start these servers, never the ones a test run is using.
	PG_PORT=${PG_PORT:-25435}
	REDIS_PORT=${REDIS_PORT:-26382}
	SMTP_PORT=${SMTP_PORT:-21028}
	MAILPIT_PORT=${MAILPIT_PORT:-28028}
	S3_PORT=${S3_PORT:-29002}
	PG_DB=portal_test
	;;
bench)
	# The test profile on ports of its own, but durable: a benchmark measures
	# commits that reach the disk, as in production.
	PG_PORT=${PG_PORT:-25436}
	REDIS_PORT=${REDIS_PORT:-26383}
	SMTP_PORT=${SMTP_PORT:-21029}
	MAILPIT_PORT=${MAILPIT_PORT:-28029}
	S3_PORT=${S3_PORT:-29003}
	PG_DB=portal_test
	;;
cluster)
	PG_PORT=${PG_PORT:-25434}
	REDIS_PORT=${REDIS_PORT:-26381}
	SMTP_PORT=${SMTP_PORT:-21027}
	MAILPIT_PORT=${MAILPIT_PORT:-28027}
	S3_PORT=${S3_PORT:-29001}
	PG_DB=portal
	;;
*) usage ;;
esac
# KIND is what the profile is like: faults and bench are test profiles.
KIND=$PROFILE
case "$PROFILE" in faults | bench) KIND=test ;; esac
[[ "$PG_PORT" =~ ^[0-9]+$ ]] || die "PG_PORT must be a port number, got '$PG_PORT'"
[[ "$REDIS_PORT" =~ ^[0-9]+$ ]] || die "REDIS_PORT must be a port number, got '$REDIS_PORT'"
[[ "$SMTP_PORT" =~ ^[0-9]+$ ]] || die "SMTP_PORT must be a port number, got '$SMTP_PORT'"
[[ "$MAILPIT_PORT" =~ ^[0-9]+$ ]] || die "MAILPIT_PORT must be a port number, got '$MAILPIT_PORT'"
# The test and cluster profiles run an S3 server. S3_VAR names the variable
# that carries its URL: the tests' own one, or the portal's file store.
HAS_S3=0
if [ "$PROFILE" != run ]; then
	HAS_S3=1
	[[ "$S3_PORT" =~ ^[0-9]+$ ]] || die "S3_PORT must be a port number, got '$S3_PORT'"
fi
S3_VAR=PORTAL_TEST_S3_URL
[ "$PROFILE" = cluster ] && S3_VAR=PORTAL_FILE_STORE

DATA_DIR="$ROOT/.data/$PROFILE"
REDIS_DIR="$DATA_DIR/redis"
REDIS_PID="$DATA_DIR/redis.pid"
REDIS_LOG="$DATA_DIR/redis.log"
# Records where the PostgreSQL data lives: "." for $DATA_DIR (the normal
# case) or an absolute fallback directory, see pg_choose_base.
PG_LOCATION_FILE="$DATA_DIR/pg.location"
# The S3 server: fixed, publicly known credentials, loopback only.
S3_DIR="$DATA_DIR/s3"
S3_PID="$DATA_DIR/s3.pid"
S3_LOG="$DATA_DIR/s3.log"
S3_ACCESS=portaltest
S3_SECRET=portaltest-secret
S3_BUCKET=portal-test
if [ "$PROFILE" = cluster ]; then
	S3_ACCESS=portalcluster
	S3_SECRET=portalcluster-secret
	S3_BUCKET=portal-cluster
fi
VGW_PKG=github.com/versity/versitygw/cmd/versitygw
VGW_BIN="$ROOT/.data/bin/versitygw"
VGW_BUILT=0
# The mail catcher: SMTP for the portal, an HTTP API (and web UI) for people
# and tests. Its messages live in an SQLite file in MAIL_DIR.
MAIL_DIR="$DATA_DIR/mailpit"
MAIL_PID="$DATA_DIR/mailpit.pid"
MAIL_LOG="$DATA_DIR/mailpit.log"
MAILPIT_PKG=github.com/axllent/mailpit
MAILPIT_BIN="$ROOT/.data/bin/mailpit"
MAILPIT_BUILT=0

is_root() { [ "$(id -u)" -eq 0 ]; }

# rel PATH: PATH relative to the repository root, for messages.
rel() {
	case "$1" in
	"$ROOT"/*) printf '%s' "${1#"$ROOT"/}" ;;
	*) printf '%s' "$1" ;;
	esac
}

# sh_quote ARG...: the arguments quoted for a POSIX shell.
sh_quote() {
	local a out=""
	for a in "$@"; do
		out+="'${a//\'/\'\\\'\'}' "
	done
	printf '%s' "$out"
}

# as_pg CMD...: run a PostgreSQL server command. PostgreSQL refuses to run as
# root, so as root the command runs as the system user "postgres".
as_pg() {
	if ! is_root; then
		"$@"
	elif command -v runuser >/dev/null 2>&1; then
		(cd / && runuser -u postgres -- "$@")
	else
		(cd / && su postgres -s /bin/sh -c "$(sh_quote "$@")")
	fi
}

# port_open PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# ---------------------------------------------------------------- binaries --

# find_pg_bin: sets PG_BIN to the directory with initdb/pg_ctl/postgres.
# Prefers the version that created an existing data directory, then the
# highest version under /usr/lib/postgresql, then PATH.
find_pg_bin() {
	PG_BIN=""
	local d want="" cands=()
	if [ -n "${PG_DATA:-}" ] && [ -r "$PG_DATA/PG_VERSION" ]; then
		want=$(<"$PG_DATA/PG_VERSION")
		if [ -x "/usr/lib/postgresql/$want/bin/pg_ctl" ]; then
			PG_BIN="/usr/lib/postgresql/$want/bin"
			return 0
		fi
	fi
	for d in /usr/lib/postgresql/*/bin; do
		if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
			cands+=("${d#/usr/lib/postgresql/}")
		fi
	done
	if [ ${#cands[@]} -gt 0 ]; then
		d=$(printf '%s\n' "${cands[@]}" | sort -V | tail -n 1)
		PG_BIN="/usr/lib/postgresql/$d"
	elif command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 &&
		command -v postgres >/dev/null 2>&1; then
		PG_BIN="$(dirname "$(command -v pg_ctl)")"
	else
		return 1
	fi
	if [ -n "$want" ]; then
		local have
		have=$("$PG_BIN/postgres" --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)*.*/\1/')
		[ "$have" = "$want" ] || die "$(rel "$PG_DATA") was created by PostgreSQL $want, but only PostgreSQL $have is installed; install postgresql-$want or remove $(rel "$PG_DATA")"
	fi
}

# pg_tool NAME: path of a PostgreSQL client tool (pg_isready, psql).
pg_tool() {
	if [ -n "${PG_BIN:-}" ] && [ -x "$PG_BIN/$1" ]; then
		printf '%s' "$PG_BIN/$1"
	elif command -v "$1" >/dev/null 2>&1; then
		command -v "$1"
	else
		die "$1 not found; install the Debian package postgresql-client"
	fi
}

have_redis() {
	command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1
}

# ensure_packages NEED_PG NEED_REDIS: make sure the server binaries exist.
ensure_packages() {
	local need_pg=$1 need_redis=$2 missing=""
	if [ "$need_pg" = 1 ] && ! find_pg_bin; then missing+=" PostgreSQL"; fi
	if [ "$need_redis" = 1 ] && ! have_redis; then missing+=" Redis"; fi
	[ -n "$missing" ] || return 0

	local pkgs=(postgresql postgresql-contrib redis-server)
	if is_root && command -v apt-get >/dev/null 2>&1; then
		log "missing:$missing; installing ${pkgs[*]} with apt-get"
		# Daemons the packages may start must not inherit the lock (fd 9).
		apt-get update >&2 9>&-
		DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=300 \
			"${pkgs[@]}" </dev/null >&2 9>&-
		if [ "$need_pg" = 1 ]; then
			find_pg_bin || die "PostgreSQL server binaries still not found after installing"
		fi
		if [ "$need_redis" = 1 ]; then
			have_redis || die "redis-server/redis-cli still not found after installing"
		fi
	elif command -v apt-get >/dev/null 2>&1; then
		die "missing:$missing. Install the packages with:
    sudo apt-get install ${pkgs[*]}"
	else
		die "missing:$missing. Install PostgreSQL (server and contrib modules) and Redis so that
initdb, pg_ctl, postgres, redis-server and redis-cli are on PATH (Debian/Ubuntu:
    sudo apt-get install ${pkgs[*]})"
	fi
}

# -------------------------------------------------------------- PostgreSQL --

# pg_load_paths: sets PG_BASE, PG_DATA and PG_LOG from the recorded location.
pg_load_paths() {
	PG_BASE="$DATA_DIR"
	if [ -s "$PG_LOCATION_FILE" ] && [ "$(<"$PG_LOCATION_FILE")" != . ]; then
		PG_BASE=$(<"$PG_LOCATION_FILE")
	fi
	PG_DATA="$PG_BASE/pg"
	PG_LOG="$PG_BASE/pg.log"
}

# pg_choose_base: decides (once) where the PostgreSQL data lives. As root the
# server runs as user postgres, which must be able to reach the data dir; if
# a parent directory of the repository is not traversable, fall back to a
# directory under $TMPDIR.
pg_choose_base() {
	if [ ! -s "$PG_LOCATION_FILE" ]; then
		local base=.
		if is_root && ! as_pg test -x "$DATA_DIR"; then
			base="${TMPDIR:-/tmp}/beteiligungsportal-$(id -u)-$PROFILE"
			log "user postgres cannot reach $(rel "$DATA_DIR") (a parent directory lacks o+x);"
			log "keeping the PostgreSQL data in $base instead"
		fi
		printf '%s\n' "$base" >"$PG_LOCATION_FILE"
	fi
	pg_load_paths
	if [ "$PG_BASE" != "$DATA_DIR" ]; then
		mkdir -p "$PG_BASE"
		if is_root; then
			chown postgres:postgres "$PG_BASE"
			chmod 700 "$PG_BASE"
			as_pg test -x "$PG_BASE" || die "user postgres cannot reach $PG_BASE either; set TMPDIR to a directory it can reach"
		fi
	fi
	touch "$PG_LOG"
	if is_root; then chown postgres:postgres "$PG_LOG"; fi
}

ensure_pg_user() {
	is_root || return 0
	getent passwd postgres >/dev/null 2>&1 && return 0
	log "creating system user postgres"
	useradd --system --user-group --home-dir /var/lib/postgresql --no-create-home \
		--shell /bin/sh postgres
}

pg_running() {
	[ -f "$PG_DATA/postmaster.pid" ] || return 1
	as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1
}

# pg_running_port: port of the running server (line 4 of postmaster.pid).
pg_running_port() {
	sed -n 4p "$PG_DATA/postmaster.pid" 2>/dev/null || true
}

pg_init() {
	[ -f "$PG_DATA/PG_VERSION" ] && return 0
	local tmp="$PG_DATA.init" initlog="$PG_BASE/initdb.log" loc
	# A data dir without PG_VERSION is a leftover of an interrupted initdb.
	rm -rf "$tmp" "$PG_DATA"
	log "initializing PostgreSQL data directory $(rel "$PG_DATA")"
	: >"$initlog"
	for loc in C.UTF-8 C; do
		mkdir -p "$tmp"
		chmod 700 "$tmp"
		if is_root; then chown postgres:postgres "$tmp"; fi
		if as_pg "$PG_BIN/initdb" -D "$tmp" --auth=trust --username="$PG_USER" \
			--encoding=UTF8 --locale="$loc" >>"$initlog" 2>&1; then
			break
		fi
		rm -rf "$tmp"
		[ "$loc" = C ] && {
			tail -n 20 "$initlog" >&2 || true
			die "initdb failed, see $(rel "$initlog")"
		}
		log "initdb with locale C.UTF-8 failed, retrying with locale C"
	done
	{
		echo
		echo "# Added by infra/dev/services.sh (profile $PROFILE)"
		echo "listen_addresses = '127.0.0.1'"
		echo "max_connections = 200"
		if [ "$KIND" = test ] && [ "$PROFILE" != bench ]; then
			echo "# Test data is disposable: trade durability for speed."
			echo "fsync = off"
			echo "synchronous_commit = off"
			echo "full_page_writes = off"
		fi
	} >>"$tmp/postgresql.conf"
	mv "$tmp" "$PG_DATA"
}

pg_start() {
	local sockdir="$PG_DATA"
	# Unix socket paths are limited to about 100 bytes; "." is the data dir.
	if [ $((${#PG_DATA} + 20)) -gt 100 ] || [[ "$PG_DATA" == *"'"* ]]; then
		sockdir="."
	fi
	log "starting PostgreSQL ($PROFILE) on 127.0.0.1:$PG_PORT"
	if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t "$WAIT_SECONDS" \
		-o "-p $PG_PORT -k '$sockdir'" start >&2 9>&-; then
		tail -n 20 "$PG_LOG" >&2 || true
		die "PostgreSQL did not start, see $(rel "$PG_LOG")"
	fi
}

pg_wait() {
	local isready i
	isready=$(pg_tool pg_isready)
	for ((i = 0; i < WAIT_SECONDS * 5; i++)); do
		"$isready" -q -d "host=127.0.0.1 port=$PG_PORT user=$PG_USER dbname=postgres" && return 0
		sleep 0.2
	done
	die "PostgreSQL on 127.0.0.1:$PG_PORT did not become ready within ${WAIT_SECONDS}s, see $(rel "$PG_LOG")"
}

pg_ensure_db() {
	local psql exists
	psql=$(pg_tool psql)
	local conn="host=127.0.0.1 port=$PG_PORT user=$PG_USER dbname=postgres sslmode=disable"
	exists=$("$psql" -X -Atq -d "$conn" -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")
	if [ "$exists" != 1 ]; then
		log "creating database $PG_DB"
		"$psql" -X -q -v ON_ERROR_STOP=1 -d "$conn" -c "CREATE DATABASE \"$PG_DB\" OWNER \"$PG_USER\"" >&2
	fi
}

pg_check_extensions() {
	local share
	[ -x "$PG_BIN/pg_config" ] || return 0
	share=$("$PG_BIN/pg_config" --sharedir 2>/dev/null) || return 0
	local ext
	for ext in pg_trgm unaccent; do
		[ -f "$share/extension/$ext.control" ] ||
			log "warning: extension $ext is not installed (Debian package postgresql-contrib)"
	done
}

pg_up() {
	ensure_pg_user
	pg_choose_base
	find_pg_bin || die "PostgreSQL server binaries not found"
	if pg_running; then
		local port
		port=$(pg_running_port)
		[ "$port" = "$PG_PORT" ] ||
			die "PostgreSQL ($PROFILE) is already running on port $port, not on PG_PORT=$PG_PORT; run 'infra/dev/services.sh down $PROFILE' first"
		PG_STATE="already running"
	else
		if port_open "$PG_PORT"; then
			die "port $PG_PORT is in use by another process (not this project's $PROFILE PostgreSQL); set PG_PORT to a free port, e.g. PG_PORT=$((PG_PORT + 100))"
		fi
		pg_init
		pg_start
		PG_STATE=started
	fi
	pg_wait
	pg_ensure_db
	pg_check_extensions
}

pg_down() {
	pg_load_paths
	if [ ! -f "$PG_DATA/postmaster.pid" ]; then
		log "PostgreSQL ($PROFILE) is not running"
		return 0
	fi
	find_pg_bin || die "PostgreSQL server binaries not found"
	if pg_running; then
		log "stopping PostgreSQL ($PROFILE)"
		as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >&2 9>&-
	else
		log "PostgreSQL ($PROFILE) is not running"
	fi
}

# ------------------------------------------------------------------- Redis --

redis_cli() {
	timeout 5 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@" 2>/dev/null
}

redis_ping() {
	[ "$(redis_cli ping)" = PONG ]
}

# redis_ours: the Redis answering on the port uses this profile's directory.
redis_ours() {
	local dir
	dir=$(redis_cli --raw config get dir | sed -n 2p) || return 1
	[ -d "$REDIS_DIR" ] && [ "$dir" = "$(cd "$REDIS_DIR" && pwd -P)" ]
}

redis_up() {
	mkdir -p "$REDIS_DIR"
	chmod 700 "$REDIS_DIR"
	if redis_ping; then
		redis_ours ||
			die "port $REDIS_PORT is in use by another Redis (not this project's $PROFILE Redis); set REDIS_PORT to a free port, e.g. REDIS_PORT=$((REDIS_PORT + 100))"
		REDIS_STATE="already running"
		return 0
	fi
	if port_open "$REDIS_PORT"; then
		die "port $REDIS_PORT is in use by another process (not this project's $PROFILE Redis); set REDIS_PORT to a free port, e.g. REDIS_PORT=$((REDIS_PORT + 100))"
	fi
	local persist=(--save "60 1")
	if [ "$KIND" = test ]; then
		persist=(--save "" --appendonly no)
	fi
	log "starting Redis ($PROFILE) on 127.0.0.1:$REDIS_PORT"
	redis-server --daemonize yes --port "$REDIS_PORT" --bind 127.0.0.1 --protected-mode yes \
		--dir "$REDIS_DIR" --pidfile "$REDIS_PID" --logfile "$REDIS_LOG" "${persist[@]}" \
		</dev/null >>"$REDIS_LOG" 2>&1 9>&- ||
		die "redis-server failed to start, see $(rel "$REDIS_LOG")"
	local i
	for ((i = 0; i < WAIT_SECONDS * 5; i++)); do
		if redis_ping; then
			REDIS_STATE=started
			return 0
		fi
		sleep 0.2
	done
	tail -n 20 "$REDIS_LOG" >&2 || true
	die "Redis on 127.0.0.1:$REDIS_PORT did not answer within ${WAIT_SECONDS}s, see $(rel "$REDIS_LOG")"
}

redis_down() {
	if ! have_redis || ! redis_ping; then
		log "Redis ($PROFILE) is not running"
		return 0
	fi
	if ! redis_ours; then
		log "port $REDIS_PORT answers, but it is not this project's $PROFILE Redis; leaving it alone"
		return 0
	fi
	log "stopping Redis ($PROFILE)"
	if [ "$KIND" = test ]; then
		redis_cli shutdown nosave >/dev/null || true
	else
		redis_cli shutdown >/dev/null || true
	fi
	local i
	for ((i = 0; i < WAIT_SECONDS * 5; i++)); do
		port_open "$REDIS_PORT" || return 0
		sleep 0.2
	done
	die "Redis on 127.0.0.1:$REDIS_PORT did not stop within ${WAIT_SECONDS}s"
}

# -------------------------------------------------------------- Go tools --

# tools_files_hash: hash of the tool module files that pin the tools' versions.
tools_files_hash() {
	cat "$ROOT/tools/go.mod" "$ROOT/tools/go.sum" | sha256sum | cut -d' ' -f1
}

# tool_modules_hash PKG: hash of what a tool is built from: the Go version and
# every module (path and version) that its packages come from. A change of
# tools/go.mod that leaves these alone (another tool added) needs no rebuild.
tool_modules_hash() {
	(
		cd "$ROOT/tools" &&
			{ go version && go list -deps -f '{{with .Module}}{{.Path}} {{.Version}}{{end}}' "$1"; } |
			sort -u | sha256sum | cut -d' ' -f1
	)
}

# tool_build NAME PKG WHAT: builds .data/bin/NAME from package PKG of the
# tools module unless the binary was built from the same modules. Its stamp
# file holds the hash of tools/go.mod and tools/go.sum (a quick check) and the
# modules hash. Sets TOOL_BUILT=1 when it built. A build takes minutes, so it
# has its own lock (fd 8) and runs before the profile's lock is taken, whose
# waiters give up after 300s.
tool_build() {
	local name=$1 pkg=$2 what=$3
	local bin="$ROOT/.data/bin/$name" stamp="$ROOT/.data/bin/$name.stamp"
	local files have_files="" have_mods="" want_mods
	TOOL_BUILT=0
	[ -f "$ROOT/tools/go.sum" ] || die "tools/go.sum is missing; it pins the version of $name"
	files=$(tools_files_hash)
	[ -f "$stamp" ] && have_files=$(sed -n 1p "$stamp")
	if [ -x "$bin" ] && [ "$have_files" = "$files" ]; then
		return 0
	fi
	mkdir -p "$(dirname "$bin")"
	exec 8>"$bin.lock"
	if command -v flock >/dev/null 2>&1; then
		flock -w 1800 8 || die "timed out waiting for $(rel "$bin.lock")"
	fi
	command -v go >/dev/null 2>&1 || die "go not found; it is needed to build $what $name"
	# Built by a concurrent run while this one waited, or built from the same
	# modules before tools/go.mod changed?
	[ -f "$stamp" ] && have_files=$(sed -n 1p "$stamp") && have_mods=$(sed -n 2p "$stamp")
	if [ -x "$bin" ] && [ "$have_files" = "$files" ]; then
		exec 8>&-
		return 0
	fi
	want_mods=$(tool_modules_hash "$pkg" 8>&- 9>&-) || die "cannot list the modules of $pkg (cd tools && go list -deps $pkg)"
	if [ -x "$bin" ] && [ "$have_mods" = "$want_mods" ]; then
		printf '%s\n%s\n' "$files" "$want_mods" >"$stamp"
		exec 8>&-
		return 0
	fi
	log "building $name ($what) into $(rel "$bin"); the first build takes a few minutes"
	if ! (cd "$ROOT/tools" && go build -o "$bin.tmp" "$pkg") >&2 8>&- 9>&-; then
		rm -f "$bin.tmp"
		die "building $name failed (cd tools && go build $pkg)"
	fi
	mv -f "$bin.tmp" "$bin"
	printf '%s\n%s\n' "$files" "$want_mods" >"$stamp"
	exec 8>&-
	TOOL_BUILT=1
}

vgw_build() {
	tool_build versitygw "$VGW_PKG" "the S3 server"
	VGW_BUILT=$TOOL_BUILT
}

mailpit_build() {
	tool_build mailpit "$MAILPIT_PKG" "the mail catcher"
	MAILPIT_BUILT=$TOOL_BUILT
}

# ---------------------------------------------------------- S3 (versitygw) --

# s3_running: this profile's versitygw runs (the pid in s3.pid is alive and,
# where /proc tells, is versitygw serving this profile's directory).
s3_running() {
	local pid
	[ -s "$S3_PID" ] || return 1
	pid=$(<"$S3_PID")
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	if [ -r "/proc/$pid/cmdline" ]; then
		tr '\0' '\n' <"/proc/$pid/cmdline" | grep -qxF "$S3_DIR/data" || return 1
	fi
}

# s3_running_port: the port the running versitygw was started on.
s3_running_port() {
	local pid
	pid=$(<"$S3_PID")
	if [ -r "/proc/$pid/cmdline" ]; then
		tr '\0' '\n' <"/proc/$pid/cmdline" | sed -n 's/^127\.0\.0\.1:\([0-9]*\)$/\1/p' | head -n 1
	fi
}

s3_start() {
	mkdir -p "$S3_DIR/data" "$S3_DIR/meta"
	chmod 700 "$S3_DIR"
	log "starting versitygw (S3, $PROFILE) on 127.0.0.1:$S3_PORT"
	: >>"$S3_LOG"
	# Credentials go through the environment, not the command line. setsid
	# keeps the server out of the caller's process group, so a Ctrl-C in
	# `make test` does not stop it; 8>&- 9>&- keep it from holding the locks.
	local launch=()
	command -v setsid >/dev/null 2>&1 && launch=(setsid)
	ROOT_ACCESS_KEY_ID=$S3_ACCESS ROOT_SECRET_ACCESS_KEY=$S3_SECRET \
		"${launch[@]}" "$VGW_BIN" --port "127.0.0.1:$S3_PORT" --region us-east-1 --quiet \
		posix --sidecar "$S3_DIR/meta" "$S3_DIR/data" \
		</dev/null >>"$S3_LOG" 2>&1 8>&- 9>&- &
	echo $! >"$S3_PID"
	local i
	for ((i = 0; i < WAIT_SECONDS * 5; i++)); do
		# Only whether it lives: until the background shell has exec'd the
		# server, /proc shows the shell's command line, not the server's.
		if ! kill -0 "$(<"$S3_PID")" 2>/dev/null; then
			tail -n 20 "$S3_LOG" >&2 || true
			rm -f "$S3_PID"
			die "versitygw exited at start, see $(rel "$S3_LOG")"
		fi
		if port_open "$S3_PORT"; then
			S3_STATE=started
			return 0
		fi
		sleep 0.2
	done
	tail -n 20 "$S3_LOG" >&2 || true
	die "versitygw on 127.0.0.1:$S3_PORT did not accept connections within ${WAIT_SECONDS}s, see $(rel "$S3_LOG")"
}

s3_stop() {
	local pid i
	pid=$(<"$S3_PID")
	log "stopping versitygw (S3, $PROFILE)"
	kill "$pid" 2>/dev/null || true
	for ((i = 0; i < WAIT_SECONDS * 5; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			rm -f "$S3_PID"
			return 0
		fi
		sleep 0.2
	done
	die "versitygw (pid $pid) did not stop within ${WAIT_SECONDS}s"
}

# s3_up: starts versitygw; vgw_build must have run.
s3_up() {
	if s3_running; then
		local port
		port=$(s3_running_port)
		if [ -n "$port" ] && [ "$port" != "$S3_PORT" ]; then
			die "versitygw ($PROFILE) is already running on port $port, not on S3_PORT=$S3_PORT; run 'infra/dev/services.sh down $PROFILE' first"
		fi
		if [ "$VGW_BUILT" = 0 ]; then
			S3_STATE="already running"
			return 0
		fi
		log "versitygw was rebuilt; restarting it"
		s3_stop
	fi
	rm -f "$S3_PID"
	if port_open "$S3_PORT"; then
		die "port $S3_PORT is in use by another process (not this project's $PROFILE versitygw); set S3_PORT to a free port, e.g. S3_PORT=$((S3_PORT + 100))"
	fi
	s3_start
}

# s3_curl METHOD [CURL_ARG...]: the HTTP status of METHOD (without a body) on
# this profile's bucket, signed with its credentials (AWS Signature V4; S3
# wants the body's SHA-256 in a header, here that of no bytes). The
# credentials go to curl on stdin, not on its command line.
s3_curl() {
	local method=$1
	shift
	printf 'user = "%s:%s"\n' "$S3_ACCESS" "$S3_SECRET" |
		curl -sS -o /dev/null -w '%{http_code}' --max-time 10 -K - --aws-sigv4 "aws:amz:us-east-1:s3" \
			-H "x-amz-content-sha256: $(printf '' | sha256sum | cut -d' ' -f1)" \
			-X "$method" "$@" "http://127.0.0.1:$S3_PORT/$S3_BUCKET"
}

# s3_ensure_bucket: creates the bucket the portal of the cluster profile
# writes to (PORTAL_FILE_STORE), unless it exists. The tests create theirs.
s3_ensure_bucket() {
	command -v curl >/dev/null 2>&1 || die "curl not found; it is needed to create the bucket $S3_BUCKET (Debian package curl)"
	local code
	code=$(s3_curl HEAD --head) || true
	case "$code" in
	200) return 0 ;;
	404) ;;
	*) die "versitygw ($PROFILE) answered $code to HEAD /$S3_BUCKET, see $(rel "$S3_LOG")" ;;
	esac
	log "creating bucket $S3_BUCKET"
	code=$(s3_curl PUT -H 'Content-Length: 0') || true
	case "$code" in
	200 | 409) ;; # 409: created by a concurrent run
	*) die "versitygw ($PROFILE) answered $code to creating bucket $S3_BUCKET, see $(rel "$S3_LOG")" ;;
	esac
}

s3_down() {
	if s3_running; then
		s3_stop
	else
		rm -f "$S3_PID"
		log "versitygw (S3, $PROFILE) is not running"
	fi
}

# ------------------------------------------------------- mail (Mailpit) --

# mailpit_running: this profile's Mailpit runs (the pid in mailpit.pid is
# alive and, where /proc tells, is Mailpit with this profile's database).
mailpit_running() {
	local pid
	[ -s "$MAIL_PID" ] || return 1
	pid=$(<"$MAIL_PID")
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	if [ -r "/proc/$pid/cmdline" ]; then
		tr '\0' '\n' <"/proc/$pid/cmdline" | grep -qxF "$MAIL_DIR/mailpit.db" || return 1
	fi
}

# mailpit_running_ports: "SMTP HTTP" ports the running Mailpit was started on.
mailpit_running_ports() {
	local pid
	pid=$(<"$MAIL_PID")
	if [ -r "/proc/$pid/cmdline" ]; then
		tr '\0' '\n' <"/proc/$pid/cmdline" | sed -n 's/^127\.0\.0\.1:\([0-9]*\)$/\1/p' | head -n 2 | tr '\n' ' ' | sed 's/ $//'
	fi
}

mailpit_start() {
	mkdir -p "$MAIL_DIR"
	chmod 700 "$MAIL_DIR"
	log "starting Mailpit ($PROFILE): SMTP 127.0.0.1:$SMTP_PORT, web UI and API http://127.0.0.1:$MAILPIT_PORT"
	: >>"$MAIL_LOG"
	local extra=()
	if [ "$KIND" = test ]; then
		# A permanent refusal on demand: tests send to an address with "=".
		extra=(--smtp-allowed-recipients '^[^=]*$')
	fi
	# setsid and the closed lock descriptors: see s3_start.
	local launch=()
	command -v setsid >/dev/null 2>&1 && launch=(setsid)
	"${launch[@]}" "$MAILPIT_BIN" --smtp "127.0.0.1:$SMTP_PORT" --listen "127.0.0.1:$MAILPIT_PORT" \
		--database "$MAIL_DIR/mailpit.db" --disable-version-check --smtp-disable-rdns "${extra[@]}" \
		</dev/null >>"$MAIL_LOG" 2>&1 8>&- 9>&- &
	echo $! >"$MAIL_PID"
	local i
	for ((i = 0; i < WAIT_SECONDS * 5; i++)); do
		# Only whether it lives: until the background shell has exec'd the
		# server, /proc shows the shell's command line, not the server's.
		if ! kill -0 "$(<"$MAIL_PID")" 2>/dev/null; then
			tail -n 20 "$MAIL_LOG" >&2 || true
			rm -f "$MAIL_PID"
			die "Mailpit exited at start, see $(rel "$MAIL_LOG")"
		fi
		if port_open "$SMTP_PORT" && port_open "$MAILPIT_PORT"; then
			MAIL_STATE=started
			return 0
		fi
		sleep 0.2
	done
	tail -n 20 "$MAIL_LOG" >&2 || true
	die "Mailpit on 127.0.0.1:$SMTP_PORT/$MAILPIT_PORT did not accept connections within ${WAIT_SECONDS}s, see $(rel "$MAIL_LOG")"
}

mailpit_stop() {
	local pid i
	pid=$(<"$MAIL_PID")
	log "stopping Mailpit ($PROFILE)"
	kill "$pid" 2>/dev/null || true
	for ((i = 0; i < WAIT_SECONDS * 5; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			rm -f "$MAIL_PID"
			return 0
		fi
		sleep 0.2
	done
	die "Mailpit (pid $pid) did not stop within ${WAIT_SECONDS}s"
}

# mailpit_up: starts Mailpit; mailpit_build must have run.
mailpit_up() {
	if mailpit_running; then
		local ports
		ports=$(mailpit_running_ports)
		if [ -n "$ports" ] && [ "$ports" != "$SMTP_PORT $MAILPIT_PORT" ]; then
			die "Mailpit ($PROFILE) is already running on ports $ports, not on SMTP_PORT=$SMTP_PORT MAILPIT_PORT=$MAILPIT_PORT; run 'infra/dev/services.sh down $PROFILE' first"
		fi
		if [ "$MAILPIT_BUILT" = 0 ]; then
			MAIL_STATE="already running"
			return 0
		fi
		log "Mailpit was rebuilt; restarting it"
		mailpit_stop
	fi
	rm -f "$MAIL_PID"
	local p
	for p in "$SMTP_PORT" "$MAILPIT_PORT"; do
		if port_open "$p"; then
			die "port $p is in use by another process (not this project's $PROFILE Mailpit); set SMTP_PORT and MAILPIT_PORT to free ports, e.g. SMTP_PORT=$((SMTP_PORT + 100)) MAILPIT_PORT=$((MAILPIT_PORT + 100))"
		fi
	done
	mailpit_start
}

mailpit_down() {
	if mailpit_running; then
		mailpit_stop
	else
		rm -f "$MAIL_PID"
		log "Mailpit ($PROFILE) is not running"
	fi
}

# ---------------------------------------------------------------- commands --

database_url() { printf 'postgres://%s@127.0.0.1:%s/%s?sslmode=disable' "$PG_USER" "$PG_PORT" "$PG_DB"; }
redis_url() { printf 'redis://127.0.0.1:%s/0' "$REDIS_PORT"; }
s3_url() { printf 's3://%s:%s@127.0.0.1:%s/%s?ssl=false' "$S3_ACCESS" "$S3_SECRET" "$S3_PORT" "$S3_BUCKET"; }
smtp_url() { printf 'smtp://127.0.0.1:%s' "$SMTP_PORT"; }
mailpit_url() { printf 'http://127.0.0.1:%s' "$MAILPIT_PORT"; }

# mail_preset: the caller gave the mail server, so no Mailpit is started.
# Tests read their mail back, so they also need the catcher's API URL.
mail_preset() {
	if [ "$KIND" = test ]; then
		[ -n "${SMTP_URL:-}" ] && [ -n "${PORTAL_TEST_MAILPIT_URL:-}" ]
	else
		[ -n "${SMTP_URL:-}" ]
	fi
}

# print_var NAME VALUE: NAME=VALUE, quoted only when VALUE needs it.
print_var() {
	if [[ "$2" =~ ^[A-Za-z0-9_@%+=:,./?-]*$ ]]; then
		printf '%s=%s\n' "$1" "$2"
	else
		printf '%s=%s\n' "$1" "$(sh_quote "$2" | sed 's/ $//')"
	fi
}

lock() {
	mkdir -p "$DATA_DIR"
	if is_root; then
		# User postgres must be able to traverse into the data directories.
		chmod 755 "$ROOT/.data" "$DATA_DIR"
	fi
	exec 9>"$DATA_DIR/.lock"
	if command -v flock >/dev/null 2>&1; then
		flock -w 300 9 || die "timed out waiting for $(rel "$DATA_DIR")/.lock"
	fi
}

cmd_up() {
	local need_pg=1 need_redis=1 need_s3=$HAS_S3 need_mail=1
	[ -n "${DATABASE_URL:-}" ] && need_pg=0
	[ -n "${REDIS_URL:-}" ] && need_redis=0
	[ -n "${!S3_VAR:-}" ] && need_s3=0
	mail_preset && need_mail=0
	if [ $need_pg = 0 ] && [ $need_redis = 0 ] && [ $need_s3 = 0 ] && [ $need_mail = 0 ]; then
		log "the service URLs are set; using them, not starting local services"
		return 0
	fi
	[ $need_pg = 0 ] && log "DATABASE_URL is set; using it, not starting PostgreSQL"
	[ $need_redis = 0 ] && log "REDIS_URL is set; using it, not starting Redis"
	[ $need_mail = 0 ] && log "SMTP_URL is set; using it, not starting Mailpit"
	if [ $need_mail = 1 ] && [ -n "${SMTP_URL:-}" ]; then
		log "SMTP_URL is set but PORTAL_TEST_MAILPIT_URL is not: the tests send to the local Mailpit instead"
	fi
	[ $HAS_S3 = 1 ] && [ $need_s3 = 0 ] && log "$S3_VAR is set; using it, not starting versitygw"

	[ $need_mail = 1 ] && mailpit_build
	[ $need_s3 = 1 ] && vgw_build
	lock
	ensure_packages $need_pg $need_redis
	[ $need_pg = 1 ] && pg_up
	[ $need_redis = 1 ] && redis_up
	[ $need_mail = 1 ] && mailpit_up
	[ $need_s3 = 1 ] && s3_up
	[ $need_s3 = 1 ] && [ "$PROFILE" = cluster ] && s3_ensure_bucket

	if [ $need_pg = 1 ]; then
		log "PostgreSQL ($PROFILE) $PG_STATE on 127.0.0.1:$PG_PORT, database $PG_DB, log $(rel "$PG_LOG")"
	fi
	if [ $need_redis = 1 ]; then
		log "Redis ($PROFILE) $REDIS_STATE on 127.0.0.1:$REDIS_PORT, log $(rel "$REDIS_LOG")"
	fi
	if [ $need_mail = 1 ]; then
		log "Mailpit ($PROFILE) $MAIL_STATE: SMTP 127.0.0.1:$SMTP_PORT, mail to read at $(mailpit_url), log $(rel "$MAIL_LOG")"
	fi
	if [ $need_s3 = 1 ]; then
		log "versitygw (S3, $PROFILE) $S3_STATE on 127.0.0.1:$S3_PORT, bucket $S3_BUCKET, data $(rel "$S3_DIR"), log $(rel "$S3_LOG")"
	fi
	log "DATABASE_URL=${DATABASE_URL:-$(database_url)}"
	log "REDIS_URL=${REDIS_URL:-$(redis_url)}"
	if mail_preset; then
		log "SMTP_URL=$SMTP_URL"
		[ "$KIND" != test ] || log "PORTAL_TEST_MAILPIT_URL=$PORTAL_TEST_MAILPIT_URL"
	else
		log "SMTP_URL=$(smtp_url)"
		[ "$KIND" != test ] || log "PORTAL_TEST_MAILPIT_URL=$(mailpit_url)"
	fi
	if [ $HAS_S3 = 1 ]; then
		log "$S3_VAR=${!S3_VAR:-$(s3_url)}"
	fi
	return 0
}

cmd_down() {
	if [ ! -d "$DATA_DIR" ]; then
		log "nothing to stop for profile $PROFILE"
		return 0
	fi
	lock
	pg_down
	redis_down
	mailpit_down
	[ $HAS_S3 = 0 ] || s3_down
}

cmd_status() {
	local ok=0 port
	pg_load_paths
	if [ -f "$PG_DATA/postmaster.pid" ] && find_pg_bin && pg_running; then
		port=$(pg_running_port)
		echo "postgres ($PROFILE): running on 127.0.0.1:$port, data $(rel "$PG_DATA")"
	else
		echo "postgres ($PROFILE): stopped"
		ok=3
	fi
	if have_redis && redis_ping; then
		if redis_ours; then
			echo "redis ($PROFILE): running on 127.0.0.1:$REDIS_PORT, data $(rel "$REDIS_DIR")"
		else
			echo "redis ($PROFILE): port $REDIS_PORT is used by another Redis"
			ok=3
		fi
	else
		echo "redis ($PROFILE): stopped"
		ok=3
	fi
	if mailpit_running; then
		echo "mailpit ($PROFILE): running, SMTP 127.0.0.1:$SMTP_PORT, web UI and API $(mailpit_url), data $(rel "$MAIL_DIR")"
	else
		echo "mailpit ($PROFILE): stopped"
		ok=3
	fi
	if [ $HAS_S3 = 1 ]; then
		if s3_running; then
			port=$(s3_running_port)
			echo "versitygw ($PROFILE): running on 127.0.0.1:${port:-$S3_PORT}, data $(rel "$S3_DIR")"
		else
			echo "versitygw ($PROFILE): stopped"
			ok=3
		fi
	fi
	[ -n "${DATABASE_URL:-}" ] && echo "note: DATABASE_URL is set in the environment and takes precedence"
	[ -n "${REDIS_URL:-}" ] && echo "note: REDIS_URL is set in the environment and takes precedence"
	mail_preset && echo "note: SMTP_URL is set in the environment and takes precedence"
	[ $HAS_S3 = 1 ] && [ -n "${!S3_VAR:-}" ] &&
		echo "note: $S3_VAR is set in the environment and takes precedence"
	return $ok
}

cmd_env() {
	print_var DATABASE_URL "${DATABASE_URL:-$(database_url)}"
	print_var REDIS_URL "${REDIS_URL:-$(redis_url)}"
	if mail_preset; then
		print_var SMTP_URL "$SMTP_URL"
		[ "$KIND" != test ] || print_var PORTAL_TEST_MAILPIT_URL "$PORTAL_TEST_MAILPIT_URL"
	else
		print_var SMTP_URL "$(smtp_url)"
		[ "$KIND" != test ] || print_var PORTAL_TEST_MAILPIT_URL "$(mailpit_url)"
	fi
	if [ $HAS_S3 = 1 ]; then
		print_var "$S3_VAR" "${!S3_VAR:-$(s3_url)}"
	fi
}

case "$CMD" in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
env) cmd_env ;;
*) usage ;;
esac

#!/usr/bin/env bash
# Project-local PostgreSQL and Redis for local development and tests.
#
# Usage: infra/dev/services.sh COMMAND PROFILE
#
#   COMMAND  up      start the services of PROFILE (reuses running ones)
#            down    stop the services of PROFILE
#            status  show whether the services of PROFILE are running
#            env     print DATABASE_URL=... and REDIS_URL=... lines
#   PROFILE  run     PostgreSQL 127.0.0.1:55432 (db portal),      Redis 127.0.0.1:56379
#            test    PostgreSQL 127.0.0.1:55433 (db portal_test), Redis 127.0.0.1:56380
#
# The ports can be overridden with PG_PORT and REDIS_PORT. Data and logs live
# in .data/PROFILE/ at the repository root. When DATABASE_URL and/or REDIS_URL
# are already set, "up" leaves the corresponding service alone and "env"
# prints the preset value, so `eval "$(infra/dev/services.sh env run)"` never
# overrides a URL given by the caller.
#
# The servers are the system's binaries (Debian/Ubuntu packages postgresql,
# postgresql-contrib and redis-server). When they are missing and the script
# runs as root with apt-get available, it installs them.
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
	sed -n '2,12s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

[ $# -eq 2 ] || usage
CMD=$1
PROFILE=$2

case "$PROFILE" in
run)
	PG_PORT=${PG_PORT:-55432}
	REDIS_PORT=${REDIS_PORT:-56379}
	PG_DB=portal
	;;
test)
	PG_PORT=${PG_PORT:-55433}
	REDIS_PORT=${REDIS_PORT:-56380}
	PG_DB=portal_test
	;;
*) usage ;;
esac
[[ "$PG_PORT" =~ ^[0-9]+$ ]] || die "PG_PORT must be a port number, got '$PG_PORT'"
[[ "$REDIS_PORT" =~ ^[0-9]+$ ]] || die "REDIS_PORT must be a port number, got '$REDIS_PORT'"

DATA_DIR="$ROOT/.data/$PROFILE"
REDIS_DIR="$DATA_DIR/redis"
REDIS_PID="$DATA_DIR/redis.pid"
REDIS_LOG="$DATA_DIR/redis.log"
# Records where the PostgreSQL data lives: "." for $DATA_DIR (the normal
# case) or an absolute fallback directory, see pg_choose_base.
PG_LOCATION_FILE="$DATA_DIR/pg.location"

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
		if [ "$PROFILE" = test ]; then
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
	if [ "$PROFILE" = test ]; then
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
	if [ "$PROFILE" = test ]; then
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

# ---------------------------------------------------------------- commands --

database_url() { printf 'postgres://%s@127.0.0.1:%s/%s?sslmode=disable' "$PG_USER" "$PG_PORT" "$PG_DB"; }
redis_url() { printf 'redis://127.0.0.1:%s/0' "$REDIS_PORT"; }

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
	local need_pg=1 need_redis=1
	[ -n "${DATABASE_URL:-}" ] && need_pg=0
	[ -n "${REDIS_URL:-}" ] && need_redis=0
	if [ $need_pg = 0 ] && [ $need_redis = 0 ]; then
		log "DATABASE_URL and REDIS_URL are set; using them, not starting local services"
		return 0
	fi
	[ $need_pg = 0 ] && log "DATABASE_URL is set; using it, not starting PostgreSQL"
	[ $need_redis = 0 ] && log "REDIS_URL is set; using it, not starting Redis"

	lock
	ensure_packages $need_pg $need_redis
	[ $need_pg = 1 ] && pg_up
	[ $need_redis = 1 ] && redis_up

	if [ $need_pg = 1 ]; then
		log "PostgreSQL ($PROFILE) $PG_STATE on 127.0.0.1:$PG_PORT, database $PG_DB, log $(rel "$PG_LOG")"
	fi
	if [ $need_redis = 1 ]; then
		log "Redis ($PROFILE) $REDIS_STATE on 127.0.0.1:$REDIS_PORT, log $(rel "$REDIS_LOG")"
	fi
	log "DATABASE_URL=${DATABASE_URL:-$(database_url)}"
	log "REDIS_URL=${REDIS_URL:-$(redis_url)}"
}

cmd_down() {
	if [ ! -d "$DATA_DIR" ]; then
		log "nothing to stop for profile $PROFILE"
		return 0
	fi
	lock
	pg_down
	redis_down
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
	[ -n "${DATABASE_URL:-}" ] && echo "note: DATABASE_URL is set in the environment and takes precedence"
	[ -n "${REDIS_URL:-}" ] && echo "note: REDIS_URL is set in the environment and takes precedence"
	return $ok
}

cmd_env() {
	print_var DATABASE_URL "${DATABASE_URL:-$(database_url)}"
	print_var REDIS_URL "${REDIS_URL:-$(redis_url)}"
}

case "$CMD" in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
env) cmd_env ;;
*) usage ;;
esac

#!/usr/bin/env bash
# Run a command in the local environment of a profile ("run", "test",
# "cluster", "faults", the fault runs' test profile, or "bench", the
# benchmarks' durable test profile).
#
# Usage: infra/dev/with-env.sh [--no-services] PROFILE COMMAND [ARG...]
#
# Starts the project-local services (infra/dev/services.sh up PROFILE),
# exports DATABASE_URL, REDIS_URL and SMTP_URL for them (for the test profile
# also PORTAL_TEST_MAILPIT_URL for the mail catcher's API and
# PORTAL_TEST_S3_URL for its S3 server, for the cluster profile
# PORTAL_FILE_STORE for its S3 server), PORTAL_SECRET and PORTAL_BASE_URL,
# and PORTAL_TEST=1 for the test profile, then execs COMMAND. Variables
# already set in the environment win (SMTP_URL in the test profile only
# together with PORTAL_TEST_MAILPIT_URL). With --no-services only
# PORTAL_SECRET, PORTAL_BASE_URL and PORTAL_TEST are set.
#
# PORTAL_SECRET for the run and cluster profiles is generated once into
# .data/PROFILE/secret; the test profile uses a fixed, publicly known test
# secret.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT="$(cd "$HERE/../.." && pwd -P)"

usage() {
	sed -n '2,6s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

services=1
if [ "${1:-}" = --no-services ]; then
	services=0
	shift
fi
[ $# -ge 2 ] || usage
profile=$1
shift
case "$profile" in
run | test | cluster | faults | bench) ;;
*) usage ;;
esac
# faults and bench are test profiles on servers of their own.
kind=$profile
case "$profile" in faults | bench) kind=test ;; esac

if [ "$services" = 1 ]; then
	"$HERE/services.sh" up "$profile"
	# Prints preset DATABASE_URL/REDIS_URL/SMTP_URL/PORTAL_TEST_S3_URL/
	# PORTAL_FILE_STORE unchanged, so they win.
	eval "$("$HERE/services.sh" env "$profile")"
	export DATABASE_URL REDIS_URL SMTP_URL
	if [ "$kind" = test ]; then
		export PORTAL_TEST_S3_URL PORTAL_TEST_MAILPIT_URL
	elif [ "$profile" = cluster ]; then
		export PORTAL_FILE_STORE
	fi
fi

if [ -z "${PORTAL_SECRET:-}" ]; then
	if [ "$kind" != test ]; then
		secret_file="$ROOT/.data/$profile/secret"
		if [ ! -s "$secret_file" ]; then
			mkdir -p "$(dirname "$secret_file")"
			tmp="$secret_file.$$"
			(umask 077 && head -c 48 /dev/urandom | base64 -w0 >"$tmp")
			# ln fails if a concurrent run created the file first; keep that one.
			ln "$tmp" "$secret_file" 2>/dev/null || [ -s "$secret_file" ] || mv -f "$tmp" "$secret_file"
			rm -f "$tmp"
			echo "with-env: generated PORTAL_SECRET in .data/$profile/secret" >&2
		fi
		PORTAL_SECRET=$(<"$secret_file")
	else
		PORTAL_SECRET=dGVzdC1vbmx5IHNlY3JldDogbmV2ZXIgdXNlIGl0IG91dHNpZGUgb2YgdGVzdHMh
	fi
fi
export PORTAL_SECRET
export PORTAL_BASE_URL="${PORTAL_BASE_URL:-http://localhost:8080}"
if [ "$kind" = test ]; then
	export PORTAL_TEST=1
fi

exec "$@"

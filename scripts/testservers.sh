#!/usr/bin/env bash
# testservers.sh CMD [ARG...]
#
# Starts a private OpenLDAP (slapd) and a private PostgreSQL on free loopback
# ports in a temporary folder, exports their addresses (USHER_TEST_*), runs
# CMD, stops both servers whatever happens, and exits with CMD's status.
# As root on Debian it first installs what is missing (slapd, ldap-utils,
# PostgreSQL, python3-aiosmtpd, curl, and rsyslog, rsyslog-gnutls and chromium,
# which the tests start privately themselves). The system's own instances are never used.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
log() { printf 'testservers: %s\n' "$*" >&2; }

install_missing() {
	local pkgs=()
	command -v slapd >/dev/null 2>&1 || [ -x /usr/sbin/slapd ] || pkgs+=(slapd)
	command -v ldapsearch >/dev/null 2>&1 || pkgs+=(ldap-utils)
	ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || pkgs+=(postgresql)
	/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 || pkgs+=(python3-aiosmtpd)
	command -v curl >/dev/null 2>&1 || pkgs+=(curl)
	[ -x /usr/sbin/rsyslogd ] || pkgs+=(rsyslog)
	ls /usr/lib/*/rsyslog/lmnsd_gtls.so >/dev/null 2>&1 || pkgs+=(rsyslog-gnutls)
	command -v chromium >/dev/null 2>&1 || pkgs+=(chromium)
	[ ${#pkgs[@]} -eq 0 ] && return 0
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		log "missing ${pkgs[*]}; install them (Debian: apt-get install ${pkgs[*]}); tests that need them will skip"
		return 0
	fi
	log "installing ${pkgs[*]}"
	# Keep the packages from starting their system services: we run private ones.
	local guard=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && guard=1
	fi
	apt-get update -qq >/dev/null || true
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
	[ $guard = 1 ] && rm -f /usr/sbin/policy-rc.d
	return 0
}

free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_for() { # wait_for SECONDS CMD...
	local deadline=$((SECONDS + $1)); shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.1
	done
}

start_ldap() {
	local slapd=/usr/sbin/slapd
	[ -x "$slapd" ] || { log "slapd not installed; LDAP tests will skip"; return 0; }
	local dir=$work/ldap port
	port=$(free_port)
	mkdir -p "$dir/db"
	local pw=usher-test-admin
	{
		for s in core cosine inetorgperson nis; do echo "include /etc/ldap/schema/$s.schema"; done
		for s in "$here"/internal/testenv/ldapseed/schema/*.schema; do [ -e "$s" ] && echo "include $s"; done
		cat <<CONF
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
moduleload refint
moduleload ppolicy
pidfile $dir/slapd.pid
argsfile $dir/slapd.args
sizelimit unlimited
database mdb
maxsize 2147483648
suffix "dc=usher,dc=test"
rootdn "cn=admin,dc=usher,dc=test"
rootpw $pw
directory $dir/db
index objectClass eq
index uid,mail,cn eq,sub
index entryUUID,member,memberOf eq
index modifyTimestamp eq
CONF
		# userPrincipalName comes from ldapseed's test schema, when present.
		[ -e "$here/internal/testenv/ldapseed/schema/usher-test.schema" ] && echo "index userPrincipalName eq"
		cat <<CONF
# ppolicy refuses binds of locked accounts (pwdAccountLockedTime); ldapseed's
# default policy turns lockout after failed binds off.
overlay ppolicy
ppolicy_default "cn=default,ou=policies,dc=usher,dc=test"
overlay memberof
memberof-group-oc groupOfNames
memberof-member-ad member
memberof-memberof-ad memberOf
memberof-refint TRUE
overlay refint
refint_attributes member
CONF
	} >"$dir/slapd.conf"
	local ldif=$dir/seed.ldif
	if [ -d "$here/internal/testenv/ldapseed" ]; then
		(cd "$here" && go run ./internal/testenv/ldapseed) >"$ldif"
	else
		printf 'dn: dc=usher,dc=test\nobjectClass: dcObject\nobjectClass: organization\ndc: usher\no: Usher test\n' >"$ldif"
	fi
	/usr/sbin/slapadd -q -f "$dir/slapd.conf" -l "$ldif" >"$dir/slapadd.log" 2>&1 || { cat "$dir/slapadd.log" >&2; return 1; }
	"$slapd" -f "$dir/slapd.conf" -h "ldap://127.0.0.1:$port/" >"$dir/slapd.log" 2>&1
	wait_for 15 ldapsearch -x -H "ldap://127.0.0.1:$port/" -D "cn=admin,dc=usher,dc=test" -w "$pw" -b "dc=usher,dc=test" -s base || {
		log "slapd did not start"; cat "$dir/slapd.log" >&2; return 1; }
	cat >"$work/ldap.env" <<ENV
export USHER_TEST_LDAP_URL=ldap://127.0.0.1:$port
export USHER_TEST_LDAP_BASE_DN=dc=usher,dc=test
export USHER_TEST_LDAP_BIND_DN=cn=admin,dc=usher,dc=test
export USHER_TEST_LDAP_BIND_PASSWORD=$pw
ENV
	log "OpenLDAP on ldap://127.0.0.1:$port"
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_pg() {
	local bin
	bin=$(pg_bin)
	[ -n "$bin" ] || { log "PostgreSQL not installed; PostgreSQL tests will skip"; return 0; }
	local dir=$work/pg port
	port=$(free_port)
	mkdir -p "$dir"
	[ "$(id -u)" = 0 ] && chown postgres "$dir"
	as_pg "$bin/initdb" -D "$dir/data" -U usher -A trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2; return 1; }
	as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
		-o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
		start >/dev/null || { cat "$dir/server.log" >&2; return 1; }
	echo "export USHER_TEST_POSTGRES_DSN=postgres://usher@127.0.0.1:$port/postgres?sslmode=disable" >"$work/pg.env"
	log "PostgreSQL on 127.0.0.1:$port"
}

stop_all() {
	local status=$?
	if [ -f "$work/ldap/slapd.pid" ]; then
		kill "$(cat "$work/ldap/slapd.pid")" 2>/dev/null || true
	fi
	if [ -f "$work/pg/data/postmaster.pid" ]; then
		as_pg "$(pg_bin)/pg_ctl" -D "$work/pg/data" -m immediate stop >/dev/null 2>&1 || true
	fi
	rm -rf "$work"
	exit $status
}

[ $# -gt 0 ] || { echo "usage: $0 CMD [ARG...]" >&2; exit 2; }
install_missing
work=$(mktemp -d /tmp/usher-test.XXXXXX)
chmod 755 "$work"
trap stop_all EXIT
trap 'exit 130' INT TERM

start_ldap & ldap_pid=$!
start_pg & pg_pid=$!
ldap_ok=0 pg_ok=0
wait $ldap_pid || ldap_ok=$?
wait $pg_pid || pg_ok=$?
[ $ldap_ok = 0 ] || { log "OpenLDAP failed to start"; exit 1; }
[ $pg_ok = 0 ] || { log "PostgreSQL failed to start"; exit 1; }
for f in "$work"/*.env; do [ -e "$f" ] && . "$f"; done

set +e
"$@"

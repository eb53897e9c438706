#!/usr/bin/env bash
# samba-ad.sh CMD [ARG...]
#
# Runs CMD next to a private Samba Active Directory domain controller on
# 127.0.0.1 (realm EXAMPLE.TEST, NetBIOS domain EXAMPLE), then stops the DC
# and removes its folder whatever happens, and exits with CMD's status.
#
# As root on Debian it first installs what is missing (samba, samba-ad-dc,
# samba-dsdb-modules, samba-vfs-modules, winbind, krb5-user,
# samba-ad-provision, ldap-utils, openssl) without starting any system
# daemon. The DC is provisioned with `samba-tool domain provision
# --dns-backend=NONE` into a private folder, binds only to 127.0.0.1, runs
# without the dns and ntp_signd services and allows simple binds on plain
# LDAP (port 389). Its test directory, under OU=Usher,DC=example,DC=test:
#
#   OU=People: alice (userPrincipalName alice@other.test, mobile, in staff),
#              bob (direct member of employees), carol (outside employees),
#              dave (disabled, in employees), zoe (non-ASCII name, in staff),
#              frank (for tests that modify an entry, in employees),
#              hank (userPrincipalName henry@example.test, in employees),
#              eve (accountExpires in 2020, in employees), larry (locked
#              out, in employees), paula (primary group contractors, in no
#              group's member)
#   OU=Groups: employees ⊃ staff, contractors (nested), outsiders ⊃ carol
#
# Every seeded user has the password in USHER_TEST_SAMBA_USER_PASSWORD; the
# partitions container lists other.test as an extra UPN suffix.
#
# CMD sees USHER_TEST_SAMBA_URL, _BASE_DN, _BIND_DN, _BIND_PASSWORD, _DOMAIN,
# _USER_PASSWORD and _CA_FILE (internal/testenv/samba.go reads them).
#
# A DC's ports are fixed (389, 636, 88, ...), so one runs per machine: a
# second run waits for the first (lock file), and a port 389 or 636 held by
# anything else fails the run with a message. Provisioning takes 10-60 s
# (the machine's load decides), so the provisioned, seeded domain is kept as
# a template in /var/tmp, keyed by a hash of the provisioning code and the
# Samba version, and each run starts from a fresh copy of it (under 1 s);
# USHER_SAMBA_NO_CACHE=1 provisions from scratch. The DC then answers LDAP
# in 1-3 s.
set -euo pipefail

log() { printf 'samba-ad: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

realm=EXAMPLE.TEST
domain=EXAMPLE
dns_domain=example.test
base_dn=DC=example,DC=test
admin_pw=Usher-Admin-Pass-1
user_pw=Usher-User-Pass-1
cache_root=${USHER_SAMBA_CACHE:-/var/tmp/usher-samba-ad}
lock_file=/var/tmp/usher-samba-ad.lock

# now prints seconds since the epoch with microseconds; since START prints
# the seconds elapsed since START with one decimal.
now() { printf '%s' "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

packages=(samba samba-ad-dc samba-dsdb-modules samba-vfs-modules winbind krb5-user samba-ad-provision ldap-utils openssl)

install_missing() {
	local pkgs=() p
	for p in "${packages[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || pkgs+=("$p")
	done
	[ ${#pkgs[@]} -eq 0 ] && return 0
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		die "missing ${pkgs[*]}; as root on Debian this script installs them (apt-get install ${pkgs[*]})"
	fi
	log "installing ${pkgs[*]}"
	local start guard=0
	start=$(now)
	# Keep the packages from starting their system services: we run a private DC.
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && guard=1
	fi
	# krb5-config asks for a realm and its servers; answer for it.
	debconf-set-selections <<SEL
krb5-config krb5-config/default_realm string $realm
krb5-config krb5-config/add_servers_realm string $realm
krb5-config krb5-config/add_servers boolean false
krb5-config krb5-config/kerberos_servers string
krb5-config krb5-config/admin_server string
krb5-config krb5-config/read_conf boolean true
SEL
	apt-get update -qq >/dev/null || true
	local rc=0
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null || rc=$?
	[ $guard = 1 ] && rm -f /usr/sbin/policy-rc.d
	[ $rc = 0 ] || die "apt-get install ${pkgs[*]} failed"
	log "installed in $(since "$start") s"
}

# seed adds the test directory to a provisioned, stopped DC through Samba's
# own Python bindings (offline, straight into sam.ldb): unicodePwd may be set
# there without an encrypted connection.
seed() { # seed SMB_CONF
	/usr/bin/python3 - "$1" "$user_pw" <<'PY'
import base64, sys
from samba.auth import system_session
from samba.param import LoadParm
from samba.samdb import SamDB
from samba.dcerpc import security
from samba.ndr import ndr_unpack

conf, pw = sys.argv[1], sys.argv[2]
lp = LoadParm()
lp.load(conf)
db = SamDB(url=lp.samdb_url(), session_info=system_session(), lp=lp)
base = str(db.domain_dn())
config = str(db.get_config_basedn())
pwd = base64.b64encode(('"%s"' % pw).encode("utf-16-le")).decode()
people = "OU=People,OU=Usher," + base
groups = "OU=Groups,OU=Usher," + base

def user(sam, cn, upn, uac=512, **attrs):
    lines = ["dn: CN=%s,%s" % (cn, people), "objectClass: user",
             "sAMAccountName: " + sam, "userPrincipalName: " + upn,
             "userAccountControl: %d" % uac, "unicodePwd:: " + pwd]
    for k, v in attrs.items():
        for one in (v if isinstance(v, list) else [v]):
            if one.isascii():
                lines.append("%s: %s" % (k, one))
            else:
                lines.append("%s:: %s" % (k, base64.b64encode(one.encode()).decode()))
    return "\n".join(lines) + "\n\n"

def group(name, *members):
    lines = ["dn: CN=%s,%s" % (name, groups), "objectClass: group", "sAMAccountName: " + name]
    lines += ["member: " + m for m in members]
    return "\n".join(lines) + "\n\n"

dn = lambda cn: "CN=%s,%s" % (cn, people)
gdn = lambda cn: "CN=%s,%s" % (cn, groups)

ldif = "".join([
    "dn: OU=Usher,%s\nobjectClass: organizationalUnit\n\n" % base,
    "dn: %s\nobjectClass: organizationalUnit\n\n" % people,
    "dn: %s\nobjectClass: organizationalUnit\n\n" % groups,
    user("alice", "Alice Example", "alice@other.test", givenName="Alice", sn="Example",
         displayName="Alice Example", mail="alice@mail.test", telephoneNumber="+1 555 0100",
         mobile="+1 555 0101", employeeType="engineer"),
    user("bob", "Bob Example", "bob@example.test", givenName="Bob", sn="Example",
         displayName="Bob Example", mail="bob@mail.test", telephoneNumber="+1 555 0200",
         employeeType="manager"),
    user("carol", "Carol Outsider", "carol@example.test", displayName="Carol Outsider",
         mail="carol@mail.test", telephoneNumber="+1 555 0300"),
    user("dave", "Dave Disabled", "dave@example.test", uac=514, displayName="Dave Disabled",
         mail="dave@mail.test", telephoneNumber="+1 555 0400"),
    user("zoe", "Zoë Ünal", "zoe@example.test", displayName="Zoë Ünal", mail="zoe@mail.test"),
    user("frank", "Frank Changes", "frank@example.test", displayName="Frank Changes",
         mail="frank@mail.test", telephoneNumber="+1 555 0600"),
    # An account name unlike the UPN's local part.
    user("hank", "Henry Hank", "henry@example.test", displayName="Henry Hank", mail="henry@mail.test"),
    # Expired on 2020-01-01 (accountExpires is a FILETIME).
    user("eve", "Eve Expired", "eve@example.test", displayName="Eve Expired", accountExpires="132223104000000000"),
    # Locked out: lockoutTime (2076) plus the domain's lockout duration is
    # in the future for as long as the template lives.
    user("larry", "Larry Locked", "larry@example.test", displayName="Larry Locked", lockoutTime="150000000000000000"),
    # In employees only through its primary group, contractors.
    user("paula", "Paula Primary", "paula@example.test", displayName="Paula Primary"),
    group("staff", dn("Alice Example"), dn("Zoë Ünal")),
    group("contractors", dn("Paula Primary")),
    group("employees", gdn("staff"), gdn("contractors"), dn("Bob Example"), dn("Dave Disabled"), dn("Frank Changes"),
          dn("Henry Hank"), dn("Eve Expired"), dn("Larry Locked")),
    group("outsiders", dn("Carol Outsider")),
])
db.add_ldif(ldif)
# paula's primary group becomes contractors; Samba then lists her in Domain
# Users' member and no longer in contractors' (as Windows does).
sid = ndr_unpack(security.dom_sid, db.search(gdn("contractors"), scope=0, attrs=["objectSid"])[0]["objectSid"][0])
db.modify_ldif("dn: %s\nchangetype: modify\nreplace: primaryGroupID\nprimaryGroupID: %s\n" % (dn("Paula Primary"), str(sid).rsplit("-", 1)[1]))
db.modify_ldif("""dn: CN=Partitions,%s
changetype: modify
add: uPNSuffixes
uPNSuffixes: other.test
""" % config)
# Passwords never expire: the template may be reused for weeks.
db.modify_ldif("""dn: %s
changetype: modify
replace: maxPwdAge
maxPwdAge: -9223372036854775808
""" % base)
PY
}

# tls_keys DIR writes the DC's certificate (usherdc.example.test and
# 127.0.0.1, issued by a private CA) where Samba looks for it: left to itself,
# Samba makes a 4096-bit RSA key at its first start and serves no LDAP until
# that is done, 20 s or more.
tls_keys() {
	local tls=$1
	mkdir -p "$tls"
	openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Usher test CA" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
		-keyout "$tls/ca.key" -out "$tls/ca.pem"
	openssl req -newkey rsa:2048 -nodes -subj "/CN=usherdc.$dns_domain" -keyout "$tls/key.pem" -out "$tls/req.csr"
	printf 'subjectAltName=DNS:usherdc.%s,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' "$dns_domain" >"$tls/ext.cnf"
	openssl x509 -req -in "$tls/req.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial -days 3650 \
		-extfile "$tls/ext.cnf" -out "$tls/cert.pem"
	chmod 600 "$tls/key.pem"
	rm -f "$tls/ca.key" "$tls/req.csr" "$tls/ext.cnf" "$tls/ca.srl"
}

# provision DIR provisions and seeds a new domain in DIR.
provision() {
	local dir=$1
	samba-tool domain provision --realm="$realm" --domain="$domain" --server-role=dc \
		--dns-backend=NONE --use-rfc2307 --adminpass="$admin_pw" --host-name=usherdc \
		--targetdir="$dir" \
		--option="netbios name = USHERDC" \
		--option="interfaces = 127.0.0.1" \
		--option="bind interfaces only = yes" \
		--option="log file = $dir/log.%m" \
		--option="pid directory = $dir/run" \
		>"$dir.provision.log" 2>&1 || { cat "$dir.provision.log" >&2; return 1; }
	# Services: what an LDAP client meets (ldap, cldap, kdc, rpc) and the
	# directory's own housekeeping (drepl, kcc); dns and ntp_signd are left
	# out, and so are smbd, winbindd, nbt, wrepl and dnsupdate, which add
	# seconds to the start and nothing to these tests. Provisioning drops an
	# "ldap server require strong auth" given as --option, so it goes in here:
	# simple binds on plain LDAP (389) are what the tests exercise.
	sed -i 's/^\tserver services = .*/\tserver services = rpc, ldap, cldap, kdc, drepl, kcc\n\tldap server require strong auth = no/' \
		"$dir/etc/smb.conf"
	grep -q 'ldap server require strong auth = no' "$dir/etc/smb.conf" || { log "could not edit $dir/etc/smb.conf"; return 1; }
	seed "$dir/etc/smb.conf" >>"$dir.provision.log" 2>&1 || { cat "$dir.provision.log" >&2; return 1; }
	tls_keys "$dir/private/tls" >>"$dir.provision.log" 2>&1 || { cat "$dir.provision.log" >&2; return 1; }
	rm -f "$dir.provision.log"
}

# relocate FROM TO rewrites the folder names in a copied domain's smb.conf.
relocate() { sed -i "s#$1#$2#g" "$2/etc/smb.conf"; }

# domain_into DIR puts a provisioned, seeded domain in DIR: a copy of the
# cached template, made first when missing.
domain_into() {
	local dir=$1 start key template
	start=$(now)
	if [ "${USHER_SAMBA_NO_CACHE:-}" = 1 ]; then
		mkdir -p "$dir"
		provision "$dir"
		log "provisioned and seeded in $(since "$start") s (no cache)"
		return 0
	fi
	# The key covers everything that shapes the domain, and nothing else.
	key=$( { declare -f provision seed tls_keys; echo "$realm $domain $dns_domain $base_dn $admin_pw $user_pw"; samba --version; } |
		sha256sum | cut -c1-16)
	template=$cache_root/$key
	if [ ! -f "$template/ready" ]; then
		mkdir -p "$cache_root"
		find "$cache_root" -mindepth 1 -maxdepth 1 ! -name "$key" -exec rm -rf {} +
		local tmp=$cache_root/$key.new
		rm -rf "$tmp" "$template"
		mkdir -p "$tmp"
		provision "$tmp"
		mv "$tmp" "$template"
		sed -i "s#$tmp#$template#g" "$template/etc/smb.conf"
		since "$start" >"$template/ready"
		log "provisioned and seeded in $(cat "$template/ready") s (template $template)"
		start=$(now)
	fi
	cp -a "$template" "$dir"
	rm -f "$dir/ready"
	relocate "$template" "$dir"
	log "domain copied from the template in $(since "$start") s (provisioning it took $(cat "$template/ready") s)"
}

port_open() { (: <"/dev/tcp/127.0.0.1/$1") >/dev/null 2>&1; }

wait_for() { # wait_for SECONDS CMD...
	local deadline=$((SECONDS + $1)); shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $deadline ] && return 1
		kill -0 "$samba_pid" 2>/dev/null || return 1
		sleep 0.1
	done
}

start_dc() {
	local dir=$1 start
	start=$(now)
	mkdir -p "$dir/run"
	# The single process model starts faster than prefork and serves the same
	# LDAP server. Its own process group, so stop_all can end every process
	# the DC forks;
	# --maximum-runtime ends it even if this script is killed without a trap.
	setsid samba -F -M single --debug-stdout -s "$dir/etc/smb.conf" --maximum-runtime="${USHER_SAMBA_MAX_RUNTIME:-7200}" \
		</dev/null >"$dir/samba.log" 2>&1 9>&- &
	samba_pid=$!
	wait_for 60 ldapsearch -x -LLL -H ldap://127.0.0.1:389 -D "Administrator@$dns_domain" -w "$admin_pw" \
		-b "$base_dn" -s base dn || {
		log "the DC did not answer LDAP on 127.0.0.1:389 within 60 s; its log:"
		tail -50 "$dir/samba.log" >&2
		return 1
	}
	log "DC answered LDAP on ldap://127.0.0.1:389 after $(since "$start") s"
}

stop_all() {
	local status=$?
	if [ -n "${samba_pid:-}" ] && kill -0 "$samba_pid" 2>/dev/null; then
		local i start
		start=$(now)
		kill -TERM -- "-$samba_pid" 2>/dev/null || true
		for i in $(seq 50); do kill -0 "$samba_pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL -- "-$samba_pid" 2>/dev/null || true
		wait "$samba_pid" 2>/dev/null || true
		log "DC stopped in $(since "$start") s"
	fi
	[ -n "${work:-}" ] && rm -rf "$work"
	exit $status
}

[ $# -gt 0 ] || { echo "usage: $0 CMD [ARG...]" >&2; exit 2; }
install_missing

# One DC per machine: wait for another run of this script, then make sure
# nothing else holds the LDAP ports.
exec 9>"$lock_file"
if ! flock -n 9; then
	log "another samba-ad.sh run holds $lock_file; waiting for it (up to 15 min)"
	flock -w 900 9 || die "gave up waiting for $lock_file"
fi
for p in 389 636; do
	port_open "$p" && die "port $p on 127.0.0.1 is already in use (a system Samba or slapd?); only one AD DC can run per machine — stop it and rerun"
done

samba_pid=
work=$(mktemp -d /tmp/usher-samba-ad.XXXXXX)
trap stop_all EXIT
trap 'exit 130' INT TERM

domain_into "$work/dc"
start_dc "$work/dc"

export USHER_TEST_SAMBA_URL=ldap://127.0.0.1:389
export USHER_TEST_SAMBA_BASE_DN=$base_dn
export USHER_TEST_SAMBA_BIND_DN=CN=Administrator,CN=Users,$base_dn
export USHER_TEST_SAMBA_BIND_PASSWORD=$admin_pw
export USHER_TEST_SAMBA_DOMAIN=$dns_domain
export USHER_TEST_SAMBA_USER_PASSWORD=$user_pw
export USHER_TEST_SAMBA_CA_FILE=$work/dc/private/tls/ca.pem

set +e
"$@" 9>&-

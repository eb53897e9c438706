// Command ldapseed writes the LDIF of Usher's test directory to standard
// output. scripts/testservers.sh runs it and loads the result with slapadd
// before it starts the private slapd, together with the schema files in
// schema/ (usher-test.schema adds userPrincipalName and usherAccountDisabled
// through the auxiliary class usherTestAccount). The output is the same on
// every run.
//
// Usage:
//
//	go run ./internal/testenv/ldapseed [-bulk N] > seed.ldif
//
// -bulk sets how many users ou=bulk holds; its default is 20000, or
// $USHER_LDAPSEED_BULK when set, so a benchmark can ask the harness for a
// bigger directory:
//
//	USHER_LDAPSEED_BULK=100000 ./scripts/testservers.sh go run ./internal/cmd/ldapbench
//
// -wide (default $USHER_LDAPSEED_WIDE, else 0) adds ou=wide: users laid
// out unlike ou=bulk's, as a directory that groups its people heavily
// would hold them — each is in eight groups whose DNs are long and some
// escaped (cn=Team 017\, Zürich,ou=Teams,ou=Departments,...), written as
// memberOf without group entries of their own (no test reads them) — for
// measuring a stream against such a directory:
//
//	USHER_LDAPSEED_WIDE=100000 ./scripts/testservers.sh go run ./internal/cmd/ldapbench -base ou=wide,dc=usher,dc=test -expect 100000
//
// # The directory
//
// The suffix is dc=usher,dc=test; the administrator is
// cn=admin,dc=usher,dc=test (see internal/testenv). Below it:
//
//	ou=people        the named users below, except mallory
//	ou=contractors   mallory, who is in the staff group but outside ou=people
//	ou=groups        groupOfNames groups
//	ou=bulk          uid=bulk00000 … bulk19999 (or -bulk N), no password
//	ou=wide          only with -wide N: uid=wide00000 …, no password
//
// Named users (objectClass inetOrgPerson + usherTestAccount). Their entryUUID
// is fixed: 5eed0000-0000-4000-8000-0000000000NN with NN as listed.
//
//	NN uid           password        notes
//	01 alice         alice-password  displayName "Alice Andersson", mail alice@usher.test,
//	                                 userPrincipalName alice@usher.test,
//	                                 telephoneNumber "+1 555 0100",
//	                                 mobile "+1 555 0101" then "+1 555 0102",
//	                                 employeeType "admin,auditor" and "staff"; group staff
//	02 bob           bob-password    "Bob Brown", bob@usher.test; group engineering
//	03 carol         carol-password  "Carol Clark", mail carol@usher.test,
//	                                 userPrincipalName carol@corp.usher.test
//	                                 (another UPN suffix); no group
//	04 o(dd)*user\   odd-password    cn and displayName "O(dd)* User\", odd@usher.test;
//	                                 group "R&D, Zürich"
//	05 zoë.ünal      zoë-pässword    displayName "Zoë Ünal", mail zoe@usher.test,
//	                                 userPrincipalName zoë@usher.test;
//	                                 groups platform and "R&D, Zürich"
//	06 dave          dave-password   locked: pwdAccountLockedTime 000001010000Z, so
//	                                 slapd's ppolicy refuses his bind
//	07 erin          erin-password   usherAccountDisabled TRUE: slapd lets her bind,
//	                                 only a source told to read that attribute refuses
//	08 mallory       mallory-password in ou=contractors; group staff
//
// Groups (groupOfNames, in ou=groups). memberOf is written into the LDIF to
// match member, because slapadd bypasses the memberof overlay; at run time the
// overlay keeps it up to date.
//
//	staff          alice, mallory and the group engineering
//	engineering    bob and the group platform (so nested in staff)
//	platform       zoë.ünal (a member of staff two levels down)
//	R&D, Zürich    o(dd)*user\ and zoë.ünal (a name that needs DN escaping)
//
// Transitively, staff's members are alice, mallory, bob and zoë.ünal.
// Passwords are stored as {SSHA} with a salt derived from the uid.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
)

// envBulk and envWide override the defaults of -bulk and -wide.
const (
	envBulk = "USHER_LDAPSEED_BULK"
	envWide = "USHER_LDAPSEED_WIDE"
)

// count reads a count from the environment variable env, or gives def.
func count(env string, def int) int {
	v := os.Getenv(env)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		fmt.Fprintf(os.Stderr, "ldapseed: %s=%q is not a count\n", env, v)
		os.Exit(2)
	}
	return n
}

func main() {
	bulk := flag.Int("bulk", count(envBulk, 20000), "number of users in ou=bulk (default $"+envBulk+" or 20000)")
	wide := flag.Int("wide", count(envWide, 0), "number of users in ou=wide (default $"+envWide+" or 0: no ou=wide)")
	flag.Parse()
	if *bulk < 0 || *bulk > 1_000_000 || *wide < 0 || *wide > 1_000_000 {
		fmt.Fprintln(os.Stderr, "ldapseed: -bulk and -wide must be between 0 and 1000000")
		os.Exit(2)
	}
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	if err := write(w, *bulk, *wide); err != nil {
		fmt.Fprintln(os.Stderr, "ldapseed:", err)
		os.Exit(1)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "ldapseed:", err)
		os.Exit(1)
	}
}

// write writes the whole directory, parents before children.
func write(w io.Writer, bulk, wide int) error {
	l := &ldifWriter{w: w}
	l.entry(suffix, attr("objectClass", "top", "dcObject", "organization"),
		attr("dc", "usher"), attr("o", "Usher test directory"), attr("entryUUID", uuidOf(2, 0)))
	for i, ou := range []string{"people", "contractors", "groups", "policies", "bulk"} {
		l.entry(ouDN(ou), attr("objectClass", "top", "organizationalUnit"), attr("ou", ou),
			attr("entryUUID", uuidOf(2, i+1)))
	}
	// The harness's ppolicy_default: no lockout on failed binds (tests try
	// wrong passwords), but a locked account stays locked.
	l.entry(policyDN, attr("objectClass", "top", "organizationalRole", "pwdPolicy"),
		attr("cn", "default"), attr("pwdAttribute", "userPassword"), attr("pwdLockout", "TRUE"), attr("pwdMaxFailure", "0"),
		attr("entryUUID", uuidOf(2, 99)))
	memberOf := groupMemberships()
	for i, g := range groups {
		l.entry(g.dn(), g.attrs(memberOf[g.dn()], uuidOf(3, i+1))...)
	}
	for _, u := range people {
		l.entry(u.dn(), u.attrs(memberOf[u.dn()])...)
	}
	for i := range bulk {
		writeBulk(l, i)
	}
	if wide > 0 {
		l.entry(ouDN("wide"), attr("objectClass", "top", "organizationalUnit"), attr("ou", "wide"), attr("entryUUID", uuidOf(2, 98)))
		for i := range wide {
			writeWide(l, i)
		}
	}
	return l.err
}

package main

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"strconv"

	"github.com/go-ldap/ldap/v3"
)

const (
	suffix   = "dc=usher,dc=test"
	policyDN = "cn=default,ou=policies," + suffix
)

func ouDN(ou string) string { return "ou=" + ldap.EscapeDN(ou) + "," + suffix }

// person is a named user of the test directory.
type person struct {
	n           int    // entryUUID number
	ou          string // people or contractors
	uid         string
	cn          string
	sn          string
	displayName string
	password    string
	mail        string
	upn         string
	phone       string
	mobiles     []string
	types       []string // employeeType
	locked      bool     // pwdAccountLockedTime
	disabled    bool     // usherAccountDisabled
}

var people = []person{
	{n: 1, ou: "people", uid: "alice", cn: "Alice Andersson", sn: "Andersson", displayName: "Alice Andersson",
		password: "alice-password", mail: "alice@usher.test", upn: "alice@usher.test",
		phone: "+1 555 0100", mobiles: []string{"+1 555 0101", "+1 555 0102"}, types: []string{"admin,auditor", "staff"}},
	{n: 2, ou: "people", uid: "bob", cn: "Bob Brown", sn: "Brown", displayName: "Bob Brown",
		password: "bob-password", mail: "bob@usher.test"},
	{n: 3, ou: "people", uid: "carol", cn: "Carol Clark", sn: "Clark", displayName: "Carol Clark",
		password: "carol-password", mail: "carol@usher.test", upn: "carol@corp.usher.test"},
	{n: 4, ou: "people", uid: `o(dd)*user\`, cn: `O(dd)* User\`, sn: "User", displayName: `O(dd)* User\`,
		password: "odd-password", mail: "odd@usher.test"},
	{n: 5, ou: "people", uid: "zoë.ünal", cn: "Zoë Ünal", sn: "Ünal", displayName: "Zoë Ünal",
		password: "zoë-pässword", mail: "zoe@usher.test", upn: "zoë@usher.test"},
	{n: 6, ou: "people", uid: "dave", cn: "Dave Dunn", sn: "Dunn", displayName: "Dave Dunn",
		password: "dave-password", mail: "dave@usher.test", locked: true},
	{n: 7, ou: "people", uid: "erin", cn: "Erin Evans", sn: "Evans", displayName: "Erin Evans",
		password: "erin-password", mail: "erin@usher.test", disabled: true},
	{n: 8, ou: "contractors", uid: "mallory", cn: "Mallory Moss", sn: "Moss", displayName: "Mallory Moss",
		password: "mallory-password", mail: "mallory@usher.test"},
}

func (p person) dn() string { return "uid=" + ldap.EscapeDN(p.uid) + "," + ouDN(p.ou) }

func (p person) attrs(memberOf []string) []attribute {
	as := []attribute{
		attr("objectClass", "top", "person", "organizationalPerson", "inetOrgPerson", "usherTestAccount"),
		attr("uid", p.uid), attr("cn", p.cn), attr("sn", p.sn), attr("displayName", p.displayName),
		attr("mail", p.mail), attr("userPassword", ssha(p.password, p.uid)),
		attr("entryUUID", uuidOf(0, p.n)),
	}
	if p.upn != "" {
		as = append(as, attr("userPrincipalName", p.upn))
	}
	if p.phone != "" {
		as = append(as, attr("telephoneNumber", p.phone))
	}
	if len(p.mobiles) > 0 {
		as = append(as, attr("mobile", p.mobiles...))
	}
	if len(p.types) > 0 {
		as = append(as, attr("employeeType", p.types...))
	}
	if p.locked {
		as = append(as, attr("pwdAccountLockedTime", "000001010000Z"))
	}
	if p.disabled {
		as = append(as, attr("usherAccountDisabled", "TRUE"))
	}
	if len(memberOf) > 0 {
		as = append(as, attr("memberOf", memberOf...))
	}
	return as
}

// group is a groupOfNames; members name people by uid and groups by cn.
type group struct {
	cn            string
	people, nests []string
}

var groups = []group{
	{cn: "staff", people: []string{"alice", "mallory"}, nests: []string{"engineering"}},
	{cn: "engineering", people: []string{"bob"}, nests: []string{"platform"}},
	{cn: "platform", people: []string{"zoë.ünal"}},
	{cn: "R&D, Zürich", people: []string{`o(dd)*user\`, "zoë.ünal"}},
}

func groupDN(cn string) string { return "cn=" + ldap.EscapeDN(cn) + "," + ouDN("groups") }

func (g group) dn() string { return groupDN(g.cn) }

func (g group) members() []string {
	var dns []string
	for _, uid := range g.people {
		dns = append(dns, personByUID(uid).dn())
	}
	for _, cn := range g.nests {
		dns = append(dns, groupDN(cn))
	}
	return dns
}

func (g group) attrs(memberOf []string, uuid string) []attribute {
	as := []attribute{
		attr("objectClass", "top", "groupOfNames"), attr("cn", g.cn),
		attr("member", g.members()...), attr("entryUUID", uuid),
	}
	if len(memberOf) > 0 {
		as = append(as, attr("memberOf", memberOf...))
	}
	return as
}

func personByUID(uid string) person {
	for _, p := range people {
		if p.uid == uid {
			return p
		}
	}
	panic("ldapseed: no person " + strconv.Quote(uid))
}

// groupMemberships returns, by member DN, the DNs of the groups that list
// it directly: what the memberof overlay would have written.
func groupMemberships() map[string][]string {
	m := map[string][]string{}
	for _, g := range groups {
		for _, dn := range g.members() {
			m[dn] = append(m[dn], g.dn())
		}
	}
	return m
}

func writeBulk(l *ldifWriter, i int) {
	uid := fmt.Sprintf("bulk%05d", i)
	l.entry("uid="+uid+","+ouDN("bulk"),
		attr("objectClass", "top", "person", "organizationalPerson", "inetOrgPerson"),
		attr("uid", uid),
		attr("cn", "Bulk User "+uid[4:]),
		attr("sn", "User"),
		attr("givenName", "Bulk"),
		attr("displayName", "Bulk User "+uid[4:]),
		attr("mail", uid+"@bulk.usher.test"),
		attr("telephoneNumber", fmt.Sprintf("+1 555 %07d", i)),
		attr("employeeType", "bulk"),
		attr("entryUUID", uuidOf(1, i)),
	)
}

// writeWide writes a user of ou=wide: in eight of 500 groups, whose DNs
// are long, upper-case and, for every third group, escaped.
func writeWide(l *ldifWriter, i int) {
	uid := fmt.Sprintf("wide%05d", i)
	var groups []string
	for k := range 8 {
		g := (i*7 + k*61) % 500
		name := fmt.Sprintf("Team %03d", g)
		if g%3 == 0 {
			name += `\, Zürich`
		}
		groups = append(groups, "CN="+name+",OU=Teams,OU=Departments,OU=Organisation,DC=usher,DC=test")
	}
	l.entry("uid="+uid+","+ouDN("wide"),
		attr("objectClass", "top", "person", "organizationalPerson", "inetOrgPerson"),
		attr("uid", uid),
		attr("cn", "Wide User "+uid[4:]),
		attr("sn", "User"),
		attr("mail", uid+"@wide.usher.test"),
		attr("telephoneNumber", fmt.Sprintf("+1 556 %07d", i)),
		attr("employeeType", "wide"),
		attr("memberOf", groups...),
		attr("entryUUID", uuidOf(4, i)),
	)
}

// uuidOf returns a fixed, valid entryUUID: kind 0 for named users, 1 for
// bulk users, 2 for containers, 3 for groups, 4 for wide users.
func uuidOf(kind, n int) string {
	return fmt.Sprintf("5eed%04x-0000-4000-8000-%012d", kind, n)
}

// ssha returns password as an {SSHA} userPassword with a salt derived from
// uid, so the output is the same on every run.
func ssha(password, uid string) string {
	salt := sha1.Sum([]byte("usher-test-salt:" + uid))
	h := sha1.New()
	h.Write([]byte(password))
	h.Write(salt[:8])
	return "{SSHA}" + base64.StdEncoding.EncodeToString(append(h.Sum(nil), salt[:8]...))
}

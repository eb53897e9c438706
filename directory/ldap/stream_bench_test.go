package ldap

import (
	"context"
	"fmt"
	"testing"
)

// wideEntryMessage is the SearchResultEntry of one user of ldapseed's
// ou=wide layout, as slapd sends it: eight long memberOf values, three of
// them escaped.
func wideEntryMessage(i int) []byte {
	groups := []string{"memberOf"}
	for g := range 8 {
		team := fmt.Sprintf("Team %03d", (i+61*g)%500)
		if g%3 == 0 {
			team += `\, Zürich`
		}
		groups = append(groups, "CN="+team+",OU=Teams,OU=Departments,OU=Organisation,DC=usher,DC=test")
	}
	uid := fmt.Sprintf("wide%05d", i)
	return entryContent("uid="+uid+",ou=wide,dc=usher,dc=test",
		[]string{"uid", uid},
		[]string{"cn", fmt.Sprintf("Wide User %05d", i)},
		[]string{"mail", uid + "@wide.usher.test"},
		[]string{"telephoneNumber", fmt.Sprintf("+1 556 %07d", i)},
		[]string{"employeeType", "wide"},
		groups,
		[]string{"entryUUID", fmt.Sprintf("5eed0004-0000-4000-8000-%012d", i)},
	)
}

// BenchmarkStreamEntryWide decodes and maps one ou=wide entry, the
// source's own work per user of a stream (without the network).
func BenchmarkStreamEntryWide(b *testing.B) {
	const n = 1000
	msgs := make([][]byte, n)
	for i := range msgs {
		msgs[i] = wideEntryMessage(i)
	}
	m := mustNew(b, Config{}).newMapperForTest(serverInfo{})
	ctx := context.Background()
	var d entryDecoder
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		e, err := d.decode(msgs[i%n])
		if err != nil {
			b.Fatal(err)
		}
		de, err := m.entry(ctx, e)
		if err != nil || de.ExternalID == "" {
			b.Fatal(err, de.ExternalID)
		}
		i++
	}
}

package ldap_test

import (
	"strconv"
	"testing"

	"github.com/usher-sdk/usher/directory/ldap"
)

// BenchmarkUsers streams ou=bulk (20,000 users by default) per iteration.
// Run with: ./scripts/testservers.sh go test -run=^$ -bench=. -benchmem ./directory/ldap
func BenchmarkUsers(b *testing.B) {
	for _, size := range []int{100, 500, 1000} {
		b.Run("page="+strconv.Itoa(size), func(b *testing.B) {
			s := newSource(b, ldap.Config{BaseDN: bulkOU, PageSize: size})
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				n = 0
				for _, err := range s.Users(b.Context()) {
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
			}
			b.ReportMetric(float64(n), "users/op")
		})
	}
}

func BenchmarkLookup(b *testing.B) {
	s := newSource(b, ldap.Config{})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Lookup(b.Context(), "alice"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAuthenticate(b *testing.B) {
	s := newSource(b, ldap.Config{})
	b.ReportAllocs()
	for b.Loop() {
		if _, ok, err := s.Authenticate(b.Context(), "alice", "alice-password"); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkUsersWide streams ou=wide, users in eight groups each with long
// and escaped DNs, which exists only when the harness was started with
// USHER_LDAPSEED_WIDE=N (see internal/testenv/ldapseed).
func BenchmarkUsersWide(b *testing.B) {
	s := newSource(b, ldap.Config{BaseDN: "ou=wide," + suffix})
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n = 0
		for _, err := range s.Users(b.Context()) {
			if err != nil {
				b.Skip("no ou=wide: start the harness with USHER_LDAPSEED_WIDE=N")
			}
			n++
		}
		if n == 0 {
			b.Skip("ou=wide is empty: start the harness with USHER_LDAPSEED_WIDE=N")
		}
	}
	b.ReportMetric(float64(n), "users/op")
}

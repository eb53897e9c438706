package sqlstore_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

// seedLockedUntil is the lock time of the locked users seedUsers writes.
var seedLockedUntil = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)

// seeded says how seedUsers makes user i (1 to n): disabled when i is a
// multiple of 10, synced from "ldap" when even, locked until
// seedLockedUntil when a multiple of 100, a member of "staff" when a
// multiple of 3.
func seeded(i int) (enabled, ldap, locked, staff bool) {
	return i%10 != 0, i%2 == 0, i%100 == 0, i%3 == 0
}

// seedUsers writes n users "user1" to "user<n>" of the default realm
// straight into the database at where, with a few statements instead of n
// CreateUser calls (no change events), and the group "staff" through s.
// The rows are as wide as real ones: a password hash and attributes.
func seedUsers(t testing.TB, b backend, s *sqlstore.Store, where string, n int) {
	t.Helper()
	ctx := t.Context()
	_, err := s.CreateGroup(ctx, userstore.Group{Name: "staff"})
	require.NoError(t, err)
	db := b.openDB(t, where).SQL()
	realm := database.DefaultRealm
	now := time.Now().UnixNano()
	hash := "argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"
	nums := fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) `, n)
	_, err = db.ExecContext(ctx, nums+fmt.Sprintf(`INSERT INTO usher_users (realm, id, username, username_norm, email, email_norm,
	display_name, enabled, password_hash, locked_until, attributes, source, external_id, created_at, updated_at, version)
SELECT '%[1]s', 'u' || CAST(i AS TEXT), 'User' || CAST(i AS TEXT), 'user' || CAST(i AS TEXT),
	'user' || CAST(i AS TEXT) || '@example.com', 'user' || CAST(i AS TEXT) || '@example.com',
	'User Number ' || CAST(i AS TEXT), i %% 10 <> 0, '%[2]s',
	CASE WHEN i %% 100 = 0 THEN %[3]d ELSE 0 END, '{"department":"Engineering","title":"Engineer"}',
	CASE WHEN i %% 2 = 0 THEN 'ldap' ELSE '' END, CASE WHEN i %% 2 = 0 THEN 'e' || CAST(i AS TEXT) ELSE '' END,
	%[4]d, %[4]d, 1
FROM n`, realm, hash, seedLockedUntil.UnixNano(), now))
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, nums+fmt.Sprintf(`INSERT INTO usher_members (realm, group_norm, user_id)
SELECT '%s', 'staff', 'u' || CAST(i AS TEXT) FROM n WHERE i %% 3 = 0`, realm))
	require.NoError(t, err)
	// What a database in service has: table statistics.
	_, err = db.ExecContext(ctx, `ANALYZE`)
	require.NoError(t, err)
}

// TestCountUsersSeeded counts a few thousand users on each database, on
// every path of the query: no filter, a Group (from the memberships), a
// Source and a Prefix.
func TestCountUsersSeeded(t *testing.T) {
	const n = 3000
	eachBackend(t, func(t *testing.T, b backend) {
		where := b.newDB(t)
		s := b.openStore(t, where)
		seedUsers(t, b, s, where, n)
		want := map[string]*userstore.UserCounts{"all": {}, "staff": {}, "ldap": {}, "user1": {}}
		for i := 1; i <= n; i++ {
			enabled, ldap, locked, staff := seeded(i)
			for name, c := range want {
				switch {
				case name == "staff" && !staff, name == "ldap" && !ldap, name == "user1" && fmt.Sprint(i)[0] != '1':
					continue
				}
				c.Total++
				if enabled {
					c.Enabled++
				}
				if locked {
					c.Locked++
				}
			}
		}
		now := time.Now()
		for name, opts := range map[string]userstore.CountOptions{
			"all":   {LockedAt: now},
			"staff": {LockedAt: now, Group: "Staff"},
			"ldap":  {LockedAt: now, Source: "ldap"},
			"user1": {LockedAt: now, Prefix: "USER1"},
		} {
			got, err := s.CountUsers(t.Context(), opts)
			require.NoError(t, err, name)
			assert.Equal(t, *want[name], got, name)
		}
		got, err := s.CountUsers(t.Context(), userstore.CountOptions{LockedAt: seedLockedUntil})
		require.NoError(t, err)
		assert.Equal(t, userstore.UserCounts{Total: n, Enabled: want["all"].Enabled}, got, "no lock at its end")
	})
}

// BenchmarkCountUsers counts 100,000 users on each database, and for
// comparison lists them the way the example server's dashboard did
// before CountUsers. PostgreSQL needs
// `./scripts/testservers.sh go test -run=^$ -bench=CountUsers ./userstore/sqlstore/`.
func BenchmarkCountUsers(b *testing.B) {
	const n = 100_000
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			where := be.newDB(b)
			s := be.openStore(b, where)
			seedUsers(b, be, s, where, n)
			ctx := b.Context()
			now := time.Now()
			for _, c := range []struct {
				name string
				opts userstore.CountOptions
			}{
				{"All", userstore.CountOptions{LockedAt: now}},
				{"Group", userstore.CountOptions{Group: "staff"}},
				{"Source", userstore.CountOptions{Source: "ldap"}},
				{"Prefix", userstore.CountOptions{Prefix: "user99"}},
			} {
				b.Run(c.name, func(b *testing.B) {
					for b.Loop() {
						got, err := s.CountUsers(ctx, c.opts)
						require.NoError(b, err)
						require.NotZero(b, got.Total)
					}
				})
			}
			b.Run("ListAll", func(b *testing.B) {
				for b.Loop() {
					k := 0
					for _, err := range s.ListUsers(ctx, userstore.ListOptions{}) {
						require.NoError(b, err)
						k++
					}
					require.Equal(b, n, k)
				}
			})
		})
	}
}

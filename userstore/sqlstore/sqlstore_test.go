package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

func collect[T any](t testing.TB, seq func(func(T, error) bool)) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		require.NoError(t, err)
		out = append(out, v)
	}
	return out
}

func TestRealmsAreIndependent(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		where := b.newDB(t)
		red := b.openStore(t, where, sqlstore.WithRealm("red"))
		blue := b.openStore(t, where, sqlstore.WithRealm("blue"))
		assert.Equal(t, "red", red.Realm())

		r, err := red.CreateUser(ctx, userstore.User{Username: "alice", Enabled: true})
		require.NoError(t, err)
		bl, err := blue.CreateUser(ctx, userstore.User{Username: "Alice"})
		require.NoError(t, err, "the same username in another realm")
		_, err = blue.CreateUser(ctx, userstore.User{ID: r.ID, Username: "other"})
		require.NoError(t, err, "the same ID in another realm")

		got, err := red.GetUserByUsername(ctx, "ALICE")
		require.NoError(t, err)
		assert.Equal(t, r.ID, got.ID)
		_, err = red.GetUser(ctx, bl.ID)
		assert.ErrorIs(t, err, userstore.ErrNotFound)
		assert.Len(t, collect(t, red.ListUsers(ctx, userstore.ListOptions{})), 1)
		assert.Len(t, collect(t, blue.ListUsers(ctx, userstore.ListOptions{})), 2)

		users := func(s *sqlstore.Store) []string {
			var out []string
			for _, c := range collect(t, s.Changes(ctx, 0)) {
				out = append(out, c.UserID)
			}
			return out
		}
		assert.Equal(t, []string{r.ID}, users(red), "each realm has its own feed")
		assert.Equal(t, []string{bl.ID, r.ID}, users(blue))
	})
}

func TestOpenTwiceAtOnceMigratesOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		where := b.newDB(t)
		const n = 8
		stores := make([]*sqlstore.Store, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				stores[i], errs[i] = b.open(context.Background(), where, sqlstore.WithRealm(fmt.Sprint("r", i%2)))
			})
		}
		wg.Wait()
		for i := range n {
			require.NoError(t, errs[i], "open %d", i)
			t.Cleanup(func() { _ = stores[i].Close() })
		}
		var versions int
		require.NoError(t, stores[0].DB().SQL().QueryRowContext(t.Context(), `SELECT count(*) FROM usher_migrations WHERE component = 'userstore'`).Scan(&versions))
		files, err := os.ReadDir("migrations/sqlite")
		require.NoError(t, err)
		assert.Equal(t, len(files), versions, "every version, once")
		require.NoError(t, stores[0].DB().CheckSchema(t.Context(), sqlstore.Component()))
		_, err = stores[1].CreateUser(t.Context(), userstore.User{Username: "u"})
		require.NoError(t, err)
	})
}

func TestMigrateExplicitly(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		db := b.openDB(t, b.newDB(t))

		_, err := sqlstore.New(ctx, db, sqlstore.WithoutMigrations())
		require.ErrorIs(t, err, database.ErrSchemaBehind, "without migrations the schema must be current")

		require.NoError(t, db.Migrate(ctx, sqlstore.Component()))
		require.NoError(t, db.Migrate(ctx, sqlstore.Component()), "migrating again changes nothing")
		s, err := sqlstore.New(ctx, db, sqlstore.WithoutMigrations())
		require.NoError(t, err)
		_, err = s.CreateUser(ctx, userstore.User{Username: "bob"})
		require.NoError(t, err)
		require.NoError(t, s.Close())
		require.NoError(t, db.SQL().PingContext(ctx), "a Store made by New leaves the database open")

		_, err = sqlstore.New(ctx, nil)
		assert.ErrorContains(t, err, "nil *database.DB")
	})
}

func TestNewerSchemaIsRefused(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		where := b.newDB(t)
		s := b.openStore(t, where)
		u, err := s.CreateUser(ctx, userstore.User{Username: "frank"})
		require.NoError(t, err)
		// A newer Usher migrated the database further.
		_, err = s.DB().SQL().ExecContext(ctx, `INSERT INTO usher_migrations (component, version, name, applied_at) VALUES ('userstore', 99, '0099_future.sql', 0)`)
		require.NoError(t, err)
		for name, opts := range map[string][]sqlstore.Option{"migrating": nil, "without migrations": {sqlstore.WithoutMigrations()}, "read-only": {sqlstore.WithReadOnly()}} {
			_, err := b.open(ctx, where, opts...)
			require.ErrorIs(t, err, database.ErrSchemaTooNew, name)
			assert.ErrorContains(t, err, `component "userstore" is at schema version 99`, name)
		}
		got, err := s.GetUser(ctx, u.ID)
		require.NoError(t, err, "the refusal changed nothing")
		assert.Equal(t, "frank", got.Username)
	})
}

func TestClosed(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		s := b.fresh(t)
		u, err := s.CreateUser(ctx, userstore.User{Username: "carol"})
		require.NoError(t, err)
		require.NoError(t, s.Close())
		require.NoError(t, s.Close(), "closing again")

		_, err = s.GetUser(ctx, u.ID)
		assert.ErrorIs(t, err, userstore.ErrClosed)
		_, err = s.CreateUser(ctx, userstore.User{Username: "dave"})
		assert.ErrorIs(t, err, userstore.ErrClosed)
		_, err = s.RecordFailedLogin(ctx, u.ID, 3, time.Minute, time.Now())
		assert.ErrorIs(t, err, userstore.ErrClosed)
		for _, err := range s.ListUsers(ctx, userstore.ListOptions{}) {
			assert.ErrorIs(t, err, userstore.ErrClosed)
		}

		// A database closed under a Store made by New.
		db := b.openDB(t, b.newDB(t))
		s2, err := sqlstore.New(ctx, db)
		require.NoError(t, err)
		require.NoError(t, db.Close())
		_, err = s2.GetUserByUsername(ctx, "x")
		assert.ErrorIs(t, err, userstore.ErrClosed)
		err = s2.AppendAudit(ctx, userstore.AuditEvent{Kind: userstore.AuditLoginFailed})
		assert.ErrorIs(t, err, userstore.ErrClosed)
	})
}

func TestReadOnly(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		where := b.newDB(t)
		rw := b.openStore(t, where)
		u, err := rw.CreateUser(ctx, userstore.User{Username: "erin"})
		require.NoError(t, err)

		ro := b.openStore(t, where, sqlstore.WithReadOnly())
		got, err := ro.GetUser(ctx, u.ID)
		require.NoError(t, err)
		assert.Equal(t, "erin", got.Username)
		writes := map[string]error{}
		_, writes["CreateUser"] = ro.CreateUser(ctx, userstore.User{Username: "frank"})
		_, writes["RecordFailedLogin"] = ro.RecordFailedLogin(ctx, u.ID, 3, time.Minute, time.Now())
		writes["AppendAudit"] = ro.AppendAudit(ctx, userstore.AuditEvent{Kind: userstore.AuditLoginFailed})
		writes["SetPassword"] = ro.SetPassword(ctx, u.ID, "", "x", false)
		_, writes["ConsumeToken"] = ro.ConsumeToken(ctx, "reset", "h")
		for name, err := range writes {
			assert.ErrorIs(t, err, userstore.ErrReadOnly, name)
		}
		assert.Len(t, collect(t, rw.Changes(ctx, 0)), 1, "nothing written")
	})
}

// TestFailedLoginsExactAcrossStores counts 100 concurrent wrong passwords
// through two Stores (two connection pools) on one database: the first
// 40 are counted, one of them locks, and the other 60 change nothing.
func TestFailedLoginsExactAcrossStores(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		where := b.newDB(t)
		s1, s2 := b.openStore(t, where), b.openStore(t, where)
		u, err := s1.CreateUser(ctx, userstore.User{Username: "gina", Enabled: true})
		require.NoError(t, err)

		const n, maxFailures = 100, 40
		now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		states := make([]userstore.LoginState, n)
		var wg sync.WaitGroup
		for i := range n {
			s := []*sqlstore.Store{s1, s2}[i%2]
			wg.Go(func() {
				st, err := s.RecordFailedLogin(ctx, u.ID, maxFailures, time.Hour, now)
				assert.NoError(t, err)
				states[i] = st
			})
		}
		wg.Wait()
		var counts []int
		locks := 0
		for _, st := range states {
			if st.AlreadyLocked {
				assert.Equal(t, maxFailures, st.FailedLogins)
				assert.Equal(t, now.Add(time.Hour), st.LockedUntil)
				continue
			}
			counts = append(counts, st.FailedLogins)
			assert.Equal(t, st.FailedLogins >= maxFailures, !st.LockedUntil.IsZero(), "count %d", st.FailedLogins)
			if st.LockedUntil.After(now) {
				locks++
			}
		}
		slices.Sort(counts)
		require.Len(t, counts, maxFailures)
		for i, c := range counts {
			require.Equal(t, i+1, c, "every count from 1 to %d once", maxFailures)
		}
		assert.Equal(t, 1, locks, "one failure locks")
		got, err := s2.GetUser(ctx, u.ID)
		require.NoError(t, err)
		assert.Equal(t, maxFailures, got.FailedLogins)
		assert.Equal(t, now.Add(time.Hour), got.LockedUntil)
		assert.EqualValues(t, 1+maxFailures, got.Version)
		changes := collect(t, s1.Changes(ctx, 0))
		require.Len(t, changes, 2, "user.created and the lock")
		assert.Equal(t, userstore.UserUpdated, changes[1].Kind)
	})
}

// follow reads the feed of s after *last until it holds no more, checking
// that Seqs increase, and appends what it read to seen.
func follow(t *testing.T, s *sqlstore.Store, last *int64, seen *[]int64) {
	t.Helper()
	for c, err := range s.Changes(t.Context(), *last) {
		require.NoError(t, err)
		require.Greater(t, c.Seq, *last)
		*last = c.Seq
		*seen = append(*seen, c.Seq)
	}
}

// seqs returns the Seqs of the whole feed of s.
func seqs(t *testing.T, s *sqlstore.Store) []int64 {
	var out []int64
	for _, c := range collect(t, s.Changes(t.Context(), 0)) {
		out = append(out, c.Seq)
	}
	return out
}

// TestFeedHasNoGaps writes through two Stores at once while a follower
// reads the feed over and over, passing the last Seq it saw: at the end it
// must have seen every event of the feed, once, in order. On SQLite the
// Seqs are also dense.
func TestFeedHasNoGaps(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		where := b.newDB(t)
		s1, s2 := b.openStore(t, where), b.openStore(t, where, sqlstore.WithPageSize(3))
		const writers, each = 6, 10
		done := make(chan struct{})
		var wg sync.WaitGroup
		for w := range writers {
			s := []*sqlstore.Store{s1, s2}[w%2]
			wg.Go(func() {
				for i := range each {
					u, err := s.CreateUser(ctx, userstore.User{Username: fmt.Sprintf("w%d-%d", w, i)})
					if !assert.NoError(t, err) {
						return
					}
					// A lock and an unlock: one-statement writes on PostgreSQL.
					_, err = s.RecordFailedLogin(ctx, u.ID, 1, time.Hour, time.Now())
					assert.NoError(t, err)
					assert.NoError(t, s.ResetFailedLogins(ctx, u.ID))
				}
			})
		}
		go func() { wg.Wait(); close(done) }()
		var (
			last int64
			seen []int64
		)
		for running := true; running; {
			select {
			case <-done:
				running = false
			default:
			}
			follow(t, s2, &last, &seen)
		}
		follow(t, s2, &last, &seen)
		all := seqs(t, s1)
		assert.Len(t, all, 3*writers*each)
		assert.Equal(t, all, seen, "the follower missed or repeated events")
		if b.dialect == database.SQLite {
			for i, seq := range all {
				require.EqualValues(t, i+1, seq)
			}
		}
	})
}

// TestFeedWaitsForOlderTransactions is the PostgreSQL horizon in both
// orders: an event whose transaction began writing later but committed
// first stays invisible while the older transaction runs, and the older
// one's event, committed last, still comes first.
func TestFeedWaitsForOlderTransactions(t *testing.T) {
	t.Parallel()
	b := backends[1]
	ctx := t.Context()
	where := b.newDB(t)
	s := b.openStore(t, where)
	db := b.openDB(t, where)
	first, err := s.CreateUser(ctx, userstore.User{Username: "first"})
	require.NoError(t, err)
	var last int64
	var seen []int64
	follow(t, s, &last, &seen)
	require.Len(t, seen, 1)

	// An older transaction: it takes its ID now and writes its event
	// after a younger one has committed.
	older, err := db.SQL().BeginTx(ctx, nil)
	require.NoError(t, err)
	defer older.Rollback()
	var xid int64
	require.NoError(t, older.QueryRowContext(ctx, `SELECT pg_current_xact_id()::text::bigint`).Scan(&xid))

	younger, err := s.CreateUser(ctx, userstore.User{Username: "younger"})
	require.NoError(t, err)
	follow(t, s, &last, &seen)
	assert.Len(t, seen, 1, "the younger event is hidden while an older transaction runs")

	_, err = older.ExecContext(ctx, `INSERT INTO usher_changes (realm, pos, kind, user_id, group_name, at) VALUES ($1, `+sqlstore.PGPosition+`, 'user.updated', $2, '', 1)`,
		s.Realm(), first.ID)
	require.NoError(t, err)
	require.NoError(t, older.Commit())
	follow(t, s, &last, &seen)
	require.Len(t, seen, 3)
	all := collect(t, s.Changes(ctx, 0))
	require.Len(t, all, 3)
	assert.Equal(t, []string{first.ID, first.ID, younger.ID}, []string{all[0].UserID, all[1].UserID, all[2].UserID},
		"the older transaction's event sorts first")
	assert.Equal(t, seqs(t, s), seen)

	// A transaction that writes nothing to the feed holds it back too,
	// until it ends.
	idle, err := db.SQL().BeginTx(ctx, nil)
	require.NoError(t, err)
	require.NoError(t, idle.QueryRowContext(ctx, `SELECT pg_current_xact_id()::text::bigint`).Scan(&xid))
	_, err = s.CreateUser(ctx, userstore.User{Username: "later"})
	require.NoError(t, err)
	follow(t, s, &last, &seen)
	assert.Len(t, seen, 3)
	require.NoError(t, idle.Rollback())
	follow(t, s, &last, &seen)
	assert.Len(t, seen, 4)
}

// TestFeedBaseMovesAfterRestore: when the transaction IDs of the server
// are below the feed's base (a database restored into another cluster),
// opening a Store moves the base above the stored events, so that new
// events still come after them.
func TestFeedBaseMovesAfterRestore(t *testing.T) {
	t.Parallel()
	b := backends[1]
	ctx := t.Context()
	where := b.newDB(t)
	s := b.openStore(t, where)
	_, err := s.CreateUser(ctx, userstore.User{Username: "before"})
	require.NoError(t, err)
	before := seqs(t, s)
	require.Len(t, before, 1)
	// As if restored where the IDs are lower: the base lies far ahead.
	_, err = s.DB().SQL().ExecContext(ctx, `UPDATE usher_user_feed_base SET xid_base = xid_base + 1000000000`)
	require.NoError(t, err)

	s2 := b.openStore(t, where)
	u, err := s2.CreateUser(ctx, userstore.User{Username: "after"})
	require.NoError(t, err)
	after := collect(t, s2.Changes(ctx, before[0]))
	require.Len(t, after, 1, "the new event follows the old one")
	assert.Equal(t, u.ID, after[0].UserID)
	assert.Len(t, seqs(t, s2), 2)
}

func TestListStreamsPages(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		s := b.fresh(t, sqlstore.WithPageSize(7))
		var want []string
		for i := range 50 {
			u, err := s.CreateUser(ctx, userstore.User{Username: fmt.Sprintf("user%02d", i), Enabled: i%2 == 0})
			require.NoError(t, err)
			want = append(want, u.ID)
		}
		slices.Sort(want)
		var got []string
		for _, u := range collect(t, s.ListUsers(ctx, userstore.ListOptions{})) {
			got = append(got, u.ID)
		}
		assert.Equal(t, want, got)

		n := 0
		for _, err := range s.ListUsers(ctx, userstore.ListOptions{}) {
			require.NoError(t, err)
			if n++; n == 10 {
				break
			}
		}
		assert.Equal(t, 10, n, "break is honoured")

		yes := true
		enabled := collect(t, s.ListUsers(ctx, userstore.ListOptions{Enabled: &yes, Prefix: "USER1"}))
		assert.Len(t, enabled, 5) // user10, 12, 14, 16, 18
	})
}

func TestBadInput(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		s := b.fresh(t)
		_, err := s.GetUserByUsername(ctx, "a\x00b")
		assert.ErrorIs(t, err, userstore.ErrNotFound)
		_, err = s.CreateUser(ctx, userstore.User{Username: " padded"})
		assert.ErrorIs(t, err, userstore.ErrInvalid)
		_, err = s.CreateUser(ctx, userstore.User{Username: "hank", Email: "not an address"})
		var ve *userstore.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, "Email", ve.Field)
		_, err = s.CreateUser(ctx, userstore.User{Username: "ivan", DisplayName: "nul\x00byte"})
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, "DisplayName", ve.Field)
		_, err = s.CreateUser(ctx, userstore.User{Username: "ivan", Attributes: map[string]string{"k": "\xff"}})
		assert.ErrorIs(t, err, userstore.ErrInvalid)
		assert.Empty(t, collect(t, s.Changes(ctx, 0)), "no partial write")

		// The audit trail records what an attacker typed, made storable.
		require.NoError(t, s.AppendAudit(ctx, userstore.AuditEvent{Kind: userstore.AuditLoginFailed, Login: "a\xff\x00b", Detail: map[string]string{"x\x00": "\xfe"}}))
		events := collect(t, s.Audit(ctx, userstore.AuditFilter{}))
		require.Len(t, events, 1)
		assert.Equal(t, "a\uFFFD\uFFFDb", events[0].Login)
		assert.Equal(t, map[string]string{"x\uFFFD": "\uFFFD"}, events[0].Detail)
	})
}

func TestOpenErrors(t *testing.T) {
	ctx := t.Context()
	_, err := sqlstore.OpenSQLite(ctx, "")
	assert.Error(t, err)
	_, err = sqlstore.OpenSQLite(ctx, t.TempDir()+"/a?b.db")
	assert.ErrorContains(t, err, "'?'")
	_, err = sqlstore.OpenSQLite(ctx, t.TempDir()+"/missing/dir/x.db")
	assert.Error(t, err)
	_, err = sqlstore.OpenSQLite(ctx, t.TempDir()+"/x.db", sqlstore.WithRealm(""))
	assert.ErrorContains(t, err, "realm")
	_, err = sqlstore.OpenPostgres(ctx, "postgres://nobody@127.0.0.1:1/none?connect_timeout=2")
	assert.Error(t, err)

	s, err := sqlstore.OpenSQLite(ctx, ":memory:")
	require.NoError(t, err)
	defer s.Close()
	_, err = s.CreateUser(ctx, userstore.User{Username: "mem"})
	assert.NoError(t, err)
}

// TestConcurrentAuditsEachCommitted appends audit events from many
// goroutines at once (on PostgreSQL they share INSERTs): each call returns
// only once its own event can be read, and every event is recorded once.
func TestConcurrentAuditsEachCommitted(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		s := b.fresh(t)
		const writers, each = 50, 8
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					who := fmt.Sprintf("w%02d-%d", w, i)
					if !assert.NoError(t, s.AppendAudit(ctx, userstore.AuditEvent{Kind: userstore.AuditLoginFailed, UserID: who, Login: who})) {
						return
					}
					got := collect(t, s.Audit(ctx, userstore.AuditFilter{UserID: who}))
					assert.Len(t, got, 1, "the event of a returned call is committed")
				}
			})
		}
		wg.Wait()
		all := collect(t, s.Audit(ctx, userstore.AuditFilter{}))
		assert.Len(t, all, writers*each)
		seen := map[string]bool{}
		for _, e := range all {
			assert.False(t, seen[e.ID], "event %s recorded twice", e.ID)
			seen[e.ID] = true
		}
	})
}

// TestFeedUnheldByOtherDatabases: a stream of short transactions in
// another database of the same cluster (other tests, other applications)
// never hides an event committed before Changes was called. Before the
// horizon was read in a statement of its own, a transaction of the
// snapshot that had ended by the time pg_stat_activity was read counted
// as running, and under such a stream Changes missed fresh events.
func TestFeedUnheldByOtherDatabases(t *testing.T) {
	t.Parallel()
	b := backends[1]
	ctx := t.Context()
	s := b.openStore(t, b.newDB(t))
	other := b.openDB(t, b.newDB(t))
	_, err := other.SQL().ExecContext(ctx, `CREATE TABLE churn (n bigint)`)
	require.NoError(t, err)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	other.SQL().SetMaxOpenConns(16)
	for range 16 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, _ = other.SQL().ExecContext(ctx, `INSERT INTO churn VALUES (1)`) // one short transaction, with an ID
			}
		})
	}
	defer func() { close(stop); wg.Wait() }()

	var last int64
	for i := range 100 {
		u, err := s.CreateUser(ctx, userstore.User{Username: fmt.Sprintf("churn%d", i)})
		require.NoError(t, err)
		var got []string
		for c, err := range s.Changes(ctx, last) {
			require.NoError(t, err)
			last = c.Seq
			got = append(got, c.UserID)
		}
		require.Equal(t, []string{u.ID}, got, "round %d: the event committed before the call", i)
	}
}

package sqlstore_test

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/internal/testenv"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/sqlstore"
	"github.com/usher-sdk/usher/userstore/storetest"
)

// TestSyncWriterConformance runs storetest's SyncWriter checks on both
// databases.
func TestSyncWriterConformance(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		storetest.RunSyncWriter(t, func(t *testing.T) userstore.Store { return b.fresh(t) })
	})
}

// syncedBatch returns n new synced users numbered from first, in a shared
// group and one of 50 teams.
func syncedBatch(first, n int) []userstore.SyncedUser {
	batch := make([]userstore.SyncedUser, n)
	for i := range batch {
		k := first + i
		batch[i] = userstore.SyncedUser{
			User: userstore.User{Username: fmt.Sprint("user", k), Email: fmt.Sprint("user", k, "@example.com"), Enabled: true,
				DisplayName: fmt.Sprint("User ", k), Source: "dir", ExternalID: fmt.Sprint("ext-", k),
				Attributes: map[string]string{"sync.signature": "sig"}},
			Groups: []string{"staff", fmt.Sprint("team", k%50)},
		}
	}
	return batch
}

// TestUpsertSyncedLargeBatch crosses the IN-list and multi-row INSERT
// chunk sizes, then updates every user of the batch.
func TestUpsertSyncedLargeBatch(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		testUpsertSyncedLargeBatch(t, b.fresh(t))
	})
}

func testUpsertSyncedLargeBatch(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	batch := syncedBatch(0, 1234)
	out, err := s.UpsertSynced(ctx, batch)
	require.NoError(t, err)
	require.Len(t, out, len(batch))
	n := 0
	var last int64
	for c, err := range s.Changes(ctx, 0) {
		require.NoError(t, err)
		n++
		require.Greater(t, c.Seq, last)
		last = c.Seq
	}
	assert.Equal(t, 1234*3+51, n, "user.created and two member.added per user, group.created per group")
	got, err := s.GetUserByExternalID(ctx, "dir", "ext-1233")
	require.NoError(t, err)
	assert.Equal(t, out[1233], got)

	for i := range batch {
		batch[i].User.DisplayName += " (changed)"
		batch[i].Groups = batch[i].Groups[:1]
	}
	out, err = s.UpsertSynced(ctx, batch)
	require.NoError(t, err)
	got, err = s.GetUserByExternalID(ctx, "dir", "ext-7")
	require.NoError(t, err)
	assert.Equal(t, out[7], got)
	assert.Equal(t, []string{"staff"}, got.Groups)
	assert.Equal(t, int64(2), got.Version)
}

// TestUpsertSyncedRowShapes: users whose columns beyond a directory's
// hold values (SQLite writes them with a statement of every column) and
// users whose columns keep their defaults (a statement of fewer columns
// with shared parameters) read back as UpsertSynced returned them, and
// the batch's change-feed events come out in order, one per user.
func TestUpsertSyncedRowShapes(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		s := b.fresh(t)
		batch := directoryBatch(0, 250)
		for i := range batch {
			u := &batch[i].User
			switch i % 3 {
			case 1:
				u.GivenName, u.FamilyName, u.EmailVerified = "Given", "Family", true
			case 2:
				u.MustChangePassword, u.Enabled = true, false
			}
		}
		out, err := s.UpsertSynced(ctx, batch)
		require.NoError(t, err)
		for i, want := range out {
			got, err := s.GetUserByExternalID(ctx, want.Source, want.ExternalID)
			require.NoError(t, err)
			require.Equal(t, want, got, "user %d", i)
		}
		assert.Equal(t, "Given", out[1].GivenName)
		assert.True(t, out[2].MustChangePassword)
		var ids []string
		var last int64
		for c, err := range s.Changes(ctx, 0) {
			require.NoError(t, err)
			require.Greater(t, c.Seq, last)
			last = c.Seq
			ids = append(ids, c.UserID)
		}
		require.Len(t, ids, len(out))
		for i, u := range out {
			assert.Equal(t, u.ID, ids[i], "event %d is user %d's", i, i)
		}
	})
}

// BenchmarkUpsertSynced writes batches of 1,000 new users in two groups
// each (a first sync), and reports the time per user; the -directory
// benchmarks write users shaped like a directory sync's (directoryBatch).
//
// Besides the wall time it reports the CPU time per user of this process
// (cpu-ns/user) and, on PostgreSQL when the server runs on this machine
// (Linux, its backends' /proc/PID/stat readable), of the database's
// backends (server-cpu-ns/user): on a machine shared with other jobs the
// CPU times vary far less than the wall time.
//
// Postgres-insert is PostgreSQL through a driver that is not pgx's, where
// UpsertSynced writes with INSERTs from arrays instead of COPY.
func BenchmarkUpsertSynced(b *testing.B) {
	type bench struct {
		name  string
		pg    bool
		open  func(b *testing.B, where string) *sqlstore.Store
		be    backend
		batch func(first, n int) []userstore.SyncedUser
	}
	var benches []bench
	for _, be := range backends {
		open := func(b *testing.B, where string) *sqlstore.Store { return be.openStore(b, where) }
		// -new: marked New, as a sync marks its additions.
		benches = append(benches, bench{be.name, be.dialect == database.Postgres, open, be, syncedBatch},
			bench{be.name + "-new", be.dialect == database.Postgres, open, be, func(first, n int) []userstore.SyncedUser {
				return markNew(syncedBatch(first, n))
			}},
			bench{be.name + "-directory", be.dialect == database.Postgres, open, be, directoryBatch},
			bench{be.name + "-directory-new", be.dialect == database.Postgres, open, be, func(first, n int) []userstore.SyncedUser {
				return markNew(directoryBatch(first, n))
			}})
		if be.dialect == database.Postgres {
			benches = append(benches, bench{be.name + "-insert", true, func(b *testing.B, where string) *sqlstore.Store { return pgInsertStore(b, where) }, be, syncedBatch})
		}
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			where := bb.be.newDB(b)
			s := bb.open(b, where)
			server := func() (time.Duration, bool) { return 0, false }
			if bb.pg {
				db := bb.be.openDB(b, where)
				server = func() (time.Duration, bool) { return backendsCPU(b, db) }
			}
			n := 0
			srv0, srvOK := server()
			cpu0 := processCPU()
			for b.Loop() {
				_, err := s.UpsertSynced(b.Context(), bb.batch(n, 1000))
				require.NoError(b, err)
				n += 1000
			}
			cpu := processCPU() - cpu0
			srv, srvOK2 := server()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/user")
			if cpu > 0 {
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(n), "cpu-ns/user")
			}
			if srvOK && srvOK2 {
				b.ReportMetric(float64((srv-srv0).Nanoseconds())/float64(n), "server-cpu-ns/user")
			}
		})
	}
}

// BenchmarkUsersByExternalID measures what a sync's comparison reads:
// 2,000 users of directoryBatch, 500 a call, as directory's StoreTarget
// asks for them.
// `./scripts/testservers.sh go test -run '^$' -bench UsersByExternalID ./userstore/sqlstore/`
func BenchmarkUsersByExternalID(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			s := be.fresh(b)
			ctx := b.Context()
			var ids []string
			for first := 0; first < 2000; first += 1000 {
				batch := directoryBatch(first, 1000)
				_, err := s.UpsertSynced(ctx, batch)
				require.NoError(b, err)
				for _, u := range batch {
					ids = append(ids, u.User.ExternalID)
				}
			}
			source := directoryBatch(0, 1)[0].User.Source
			n := 0
			for b.Loop() {
				lo := n % len(ids)
				users, err := s.UsersByExternalID(ctx, source, ids[lo:lo+500])
				require.NoError(b, err)
				require.Len(b, users, 500)
				n += 500
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/user")
		})
	}
}

// BenchmarkListUsersInGroups lists 5,000 users of a source, each in
// eight of 500 groups (the LDAP test data's ou=wide), as a sync's
// comparison of every stored user does.
// `./scripts/testservers.sh go test -run '^$' -bench ListUsersInGroups ./userstore/sqlstore/`
func BenchmarkListUsersInGroups(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			s := be.fresh(b)
			ctx := b.Context()
			for first := 0; first < 5000; first += 1000 {
				_, err := s.UpsertSynced(ctx, wideBatch(first, 1000))
				require.NoError(b, err)
			}
			source := directoryBatch(0, 1)[0].User.Source
			n := 0
			for b.Loop() {
				for u, err := range s.ListUsers(ctx, userstore.ListOptions{Source: source}) {
					require.NoError(b, err)
					require.Len(b, u.Groups, 8)
					n++
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/user")
		})
	}
}

// wideBatch is directoryBatch with each user in eight of 500 groups.
func wideBatch(first, n int) []userstore.SyncedUser {
	batch := directoryBatch(first, n)
	for i := range batch {
		for j := range 8 {
			batch[i].Groups = append(batch[i].Groups, fmt.Sprint("group", ((first+i)*7+j*61)%500))
		}
	}
	return batch
}

// directoryBatch returns n new synced users numbered from first shaped
// like those syncbench writes from the LDAP test data's ou=bulk: no
// groups, usernames, e-mail addresses and external IDs (entryUUIDs) in
// the order they are written, and the attributes directory's
// StoreTarget sets, with a batch signature of the size SignBatch makes.
func directoryBatch(first, n int) []userstore.SyncedUser {
	batch := make([]userstore.SyncedUser, n)
	sig := strings.Repeat("s", 660)
	for i := range batch {
		k := first + i
		uid := fmt.Sprintf("bulk%05d", k)
		batch[i] = userstore.SyncedUser{
			User: userstore.User{Username: uid, Email: uid + "@bulk.usher.test", Enabled: true,
				DisplayName: "Bulk User " + uid[4:], Phone: fmt.Sprintf("+1 555 %07d", k), Source: "ldap://127.0.0.1:389",
				ExternalID: fmt.Sprintf("5eed0001-0000-4000-8000-%012d", k),
				Attributes: map[string]string{"personal_email": "", "roles": "", "sync.signature": sig + strconv.Itoa(k)}},
		}
	}
	return batch
}

// processCPU is the user and system CPU time of this process so far, 0
// where getrusage is missing.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// backendsCPU is the user and system CPU time so far of the PostgreSQL
// backends connected to db's database, read from /proc/PID/stat (in
// clock ticks, 100 a second on Linux); false when one is unreadable, as
// when the server runs elsewhere.
func backendsCPU(b *testing.B, db *database.DB) (time.Duration, bool) {
	pids, err := database.QueryAll(b.Context(), db.SQL(), func(r *sql.Rows) (int, error) {
		var pid int
		return pid, r.Scan(&pid)
	}, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)
	require.NoError(b, err)
	var total time.Duration
	for _, pid := range pids {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return 0, false
		}
		// The fields after the command name (which ends at the last ')'):
		// state is the first, utime the 12th and stime the 13th.
		f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
		if len(f) < 13 {
			return 0, false
		}
		for _, v := range f[11:13] {
			ticks, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return 0, false
			}
			total += time.Duration(ticks) * 10 * time.Millisecond
		}
	}
	return total, true
}

func TestUsersByExternalID(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		testUsersByExternalID(t, b.fresh(t))
	})
}

func testUsersByExternalID(t *testing.T, s *sqlstore.Store) {
	ctx := context.Background()
	var batch []userstore.SyncedUser
	var ids []string
	for i := range 1200 {
		k := strconv.Itoa(i)
		batch = append(batch, userstore.SyncedUser{User: userstore.User{Source: "ad", ExternalID: "ext-" + k, Username: "user" + k, Enabled: true}, Groups: []string{"staff"}})
		if i%2 == 0 {
			ids = append(ids, "ext-"+k)
		}
	}
	_, err := s.UpsertSynced(ctx, batch)
	require.NoError(t, err)
	ids = append(ids, "", "ext-none", "ext-1\x00")
	got, err := s.UsersByExternalID(ctx, "ad", ids)
	require.NoError(t, err)
	require.Len(t, got, 600)
	for _, u := range got {
		assert.Equal(t, "ad", u.Source)
		assert.Equal(t, []string{"staff"}, u.Groups)
	}
	got, err = s.UsersByExternalID(ctx, "other", ids)
	require.NoError(t, err)
	assert.Empty(t, got, "users of another source are not returned")
}

// TestSyncedStates crosses SyncedStates' page size.
func TestSyncedStates(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		s := b.fresh(t)
		const n = 5100
		batch := make([]userstore.SyncedUser, n)
		for i := range batch {
			k := strconv.Itoa(i)
			batch[i] = userstore.SyncedUser{User: userstore.User{Source: "ad", ExternalID: "ext-" + k, Username: "user" + k, Enabled: i%3 != 0}}
		}
		_, err := s.UpsertSynced(ctx, batch)
		require.NoError(t, err)
		_, err = s.CreateUser(ctx, userstore.User{Username: "local", Enabled: true})
		require.NoError(t, err)
		seen := map[string]bool{}
		for st, err := range s.SyncedStates(ctx, "ad") {
			require.NoError(t, err)
			require.NotContains(t, seen, st.ExternalID)
			seen[st.ExternalID] = st.Enabled
		}
		require.Len(t, seen, n)
		assert.False(t, seen["ext-3"])
		assert.True(t, seen["ext-4"])
		for range s.SyncedStates(ctx, "ad") {
			break // honours break
		}
		for range s.SyncedStates(ctx, "other") {
			t.Fatal("no user of source other")
		}
	})
}

// TestUpsertSyncedFeedGroupIDs checks that the group and member events of
// a batch carry the group's ID, for groups it creates and groups it finds.
func TestUpsertSyncedFeedGroupIDs(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		s := b.fresh(t)
		existing, err := s.CreateGroup(ctx, userstore.Group{Name: "old"})
		require.NoError(t, err)
		_, err = s.UpsertSynced(ctx, []userstore.SyncedUser{
			{User: userstore.User{Source: "ad", ExternalID: "e1", Username: "u1", Enabled: true}, Groups: []string{"old", "new"}},
		})
		require.NoError(t, err)
		_, err = s.UpsertSynced(ctx, []userstore.SyncedUser{
			{User: userstore.User{Source: "ad", ExternalID: "e1", Username: "u1", Enabled: true}, Groups: []string{"new"}},
		})
		require.NoError(t, err)
		created, err := s.GetGroup(ctx, "new")
		require.NoError(t, err)
		want := map[string]string{"old": existing.ID, "new": created.ID}
		require.Len(t, created.ID, 32)
		kinds := map[userstore.ChangeKind]int{}
		for c, err := range s.Changes(ctx, 0) {
			require.NoError(t, err)
			if c.Group == "" {
				continue
			}
			kinds[c.Kind]++
			assert.Equal(t, want[c.Group], c.GroupID, "%s of group %s", c.Kind, c.Group)
		}
		assert.Equal(t, map[userstore.ChangeKind]int{userstore.GroupCreated: 2, userstore.MemberAdded: 2, userstore.MemberRemoved: 1}, kinds)
	})
}

// pgInsertStore opens a Store on the PostgreSQL database at dsn through
// pgx's database/sql driver behind a connector whose connections hide
// pgx's own connection, as another driver's would: UpsertSynced then
// writes with INSERTs from arrays instead of COPY.
func pgInsertStore(t testing.TB, dsn string) *sqlstore.Store {
	t.Helper()
	ctx := context.Background()
	c, err := stdlib.GetDefaultDriver().(driver.DriverContext).OpenConnector(dsn)
	require.NoError(t, err)
	raw := sql.OpenDB(hidingConnector{c})
	t.Cleanup(func() { _ = raw.Close() })
	db, err := database.New(ctx, raw, database.Postgres)
	require.NoError(t, err)
	s, err := sqlstore.New(ctx, db)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// hidingConnector makes connections that offer only database/sql's
// interfaces of pgx's driver connections.
type hidingConnector struct{ driver.Connector }

func (c hidingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return hiddenConn{conn.(sqlDriverConn)}, nil
}

// sqlDriverConn is what pgx's driver connections offer database/sql.
type sqlDriverConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.NamedValueChecker
	driver.Pinger
	driver.SessionResetter
}

// hiddenConn has the methods of sqlDriverConn only.
type hiddenConn struct{ sqlDriverConn }

// TestUpsertSyncedWithoutCopy runs the SyncWriter checks and a large
// batch on PostgreSQL through a driver that is not pgx's, where
// UpsertSynced cannot use COPY.
func TestUpsertSyncedWithoutCopy(t *testing.T) {
	t.Run("Conformance", func(t *testing.T) {
		t.Parallel()
		storetest.RunSyncWriter(t, func(t *testing.T) userstore.Store { return pgInsertStore(t, testenv.PostgresDB(t)) })
	})
	t.Run("LargeBatch", func(t *testing.T) {
		t.Parallel()
		testUpsertSyncedLargeBatch(t, pgInsertStore(t, testenv.PostgresDB(t)))
	})
}

// TestCloseStopsCheckpoints: a Store that owns its SQLite database
// closes it through the database.DB, which stops the DB's background
// checkpoints (before, Close closed the *sql.DB alone, and the
// checkpointer went on past Close: a test's TempDir was found not
// empty).
func TestCloseStopsCheckpoints(t *testing.T) {
	checkpointers := func() int {
		buf := make([]byte, 1<<20)
		return strings.Count(string(buf[:runtime.Stack(buf, true)]), "database.(*checkpointer).run")
	}
	path := filepath.Join(t.TempDir(), "close.db")
	before := checkpointers()
	s, err := sqlstore.OpenSQLite(t.Context(), path)
	require.NoError(t, err)
	_, err = s.UpsertSynced(t.Context(), directoryBatch(0, 10))
	require.NoError(t, err)
	require.Greater(t, checkpointers(), before)
	require.NoError(t, s.Close())
	require.Eventually(t, func() bool { return checkpointers() <= before }, 5*time.Second, 10*time.Millisecond, "the DB's checkpointer stopped")
	_, err = os.Stat(path + "-wal")
	assert.ErrorIs(t, err, os.ErrNotExist, "the last connection's close removed the log")
}

// TestUpsertSyncedConcurrentBatches: batches written at once, by one
// store and by a second one on the same database (another process), all
// creating the same new groups, all land: on PostgreSQL they run side by
// side and a batch that another got ahead of is tried again; each group
// is created once, every user is in its groups, and the change feed has
// every event once, in order.
func TestUpsertSyncedConcurrentBatches(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		where := b.newDB(t)
		stores := []*sqlstore.Store{b.openStore(t, where), b.openStore(t, where)}
		const batches, size = 8, 150
		errs := make(chan error, batches)
		for i := range batches {
			go func() {
				_, err := stores[i%2].UpsertSynced(ctx, syncedBatch(i*size, size))
				errs <- err
			}()
		}
		for range batches {
			require.NoError(t, <-errs)
		}
		s := stores[0]
		for _, k := range []int{0, 149, 150, batches*size - 1} {
			u, err := s.GetUserByExternalID(ctx, "dir", fmt.Sprint("ext-", k))
			require.NoError(t, err)
			assert.ElementsMatch(t, []string{"staff", fmt.Sprint("team", k%50)}, u.Groups)
		}
		kinds := map[userstore.ChangeKind]int{}
		created := map[string]int{}
		var last int64
		for c, err := range s.Changes(ctx, 0) {
			require.NoError(t, err)
			require.Greater(t, c.Seq, last, "in order, each once")
			last = c.Seq
			kinds[c.Kind]++
			if c.Kind == userstore.GroupCreated {
				created[c.Group]++
			}
		}
		assert.Equal(t, batches*size, kinds[userstore.UserCreated])
		assert.Equal(t, 2*batches*size, kinds[userstore.MemberAdded])
		assert.Len(t, created, 51)
		for g, n := range created {
			assert.Equal(t, 1, n, "group %s created once", g)
		}
	})
}

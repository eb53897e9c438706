package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

// The test binary doubles as the other process of TestAnotherProcessWrites:
// with these variables set, TestMain runs writer instead of the tests.
const (
	envWriter  = "USHER_SQLSTORE_TEST_WRITER" // the dialect
	envWhere   = "USHER_SQLSTORE_TEST_WHERE"  // file path or DSN
	envUserID  = "USHER_SQLSTORE_TEST_USER"   // whose failed logins to count
	envWrites  = "USHER_SQLSTORE_TEST_WRITES" // how many of each write
	writerName = "child"
)

func TestMain(m *testing.M) {
	if d := os.Getenv(envWriter); d != "" {
		if err := writer(database.Dialect(d)); err != nil {
			fmt.Fprintln(os.Stderr, "writer:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// writer is the other process: it opens the database (migrating it too,
// at the same time as the parent) and creates users, records failed
// logins of a shared user and appends audit events.
func writer(d database.Dialect) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	open := sqlstore.OpenSQLite
	if d == database.Postgres {
		open = sqlstore.OpenPostgres
	}
	s, err := open(ctx, os.Getenv(envWhere))
	if err != nil {
		return err
	}
	defer s.Close()
	n, _ := strconv.Atoi(os.Getenv(envWrites))
	id := os.Getenv(envUserID)
	for i := range n {
		if _, err := s.CreateUser(ctx, userstore.User{Username: fmt.Sprintf("%s-%d", writerName, i)}); err != nil {
			return err
		}
		if _, err := s.RecordFailedLogin(ctx, id, 0, 0, time.Now()); err != nil {
			return err
		}
		if err := s.AppendAudit(ctx, userstore.AuditEvent{Kind: userstore.AuditLoginFailed, UserID: id, Reason: writerName}); err != nil {
			return err
		}
	}
	return nil
}

// TestAnotherProcessWrites runs a second OS process that writes the same
// database while this one writes and reads it, then checks that nothing
// was lost: every user, every failed login, every audit event, and a feed
// without gaps.
func TestAnotherProcessWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("starts another process")
	}
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		where := b.newDB(t)
		s := b.openStore(t, where)
		shared, err := s.CreateUser(ctx, userstore.User{Username: "shared", Enabled: true})
		require.NoError(t, err)

		const n = 40
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), envWriter+"="+string(b.dialect), envWhere+"="+where,
			envUserID+"="+shared.ID, envWrites+"="+strconv.Itoa(n))
		out := make(chan error, 1)
		var output []byte
		go func() {
			var err error
			output, err = cmd.CombinedOutput()
			out <- err
		}()

		var wg sync.WaitGroup
		wg.Go(func() { // this process's writer
			for i := range n {
				_, err := s.CreateUser(ctx, userstore.User{Username: fmt.Sprintf("parent-%d", i)})
				assert.NoError(t, err)
				_, err = s.RecordFailedLogin(ctx, shared.ID, 0, 0, time.Now())
				assert.NoError(t, err)
				assert.NoError(t, s.AppendAudit(ctx, userstore.AuditEvent{Kind: userstore.AuditLoginFailed, UserID: shared.ID, Reason: "parent"}))
			}
		})
		var seen []int64
		var last int64
		read := func() {
			for c, err := range s.Changes(ctx, last) {
				if !assert.NoError(t, err) || !assert.Greater(t, c.Seq, last) {
					return
				}
				last = c.Seq
				seen = append(seen, c.Seq)
			}
		}
		wg.Go(func() { // a reader following the feed meanwhile
			deadline := time.Now().Add(30 * time.Second)
			for len(seen) < 1+2*n && time.Now().Before(deadline) {
				read()
				_, err := s.GetUser(ctx, shared.ID)
				assert.NoError(t, err)
			}
		})
		wg.Wait()
		require.NoError(t, <-out, "the other process: %s", output)
		read()

		got, err := s.GetUser(ctx, shared.ID)
		require.NoError(t, err)
		assert.Equal(t, 2*n, got.FailedLogins, "failed logins of both processes")
		users := collect(t, s.ListUsers(ctx, userstore.ListOptions{}))
		assert.Len(t, users, 1+2*n)
		events := collect(t, s.Audit(ctx, userstore.AuditFilter{UserID: shared.ID}))
		assert.Len(t, events, 2*n)
		changes := collect(t, s.Changes(ctx, 0))
		require.Len(t, changes, 1+2*n, "the creates of both; failures that lock nothing are not news")
		var all []int64
		for i, c := range changes {
			all = append(all, c.Seq)
			if b.dialect == database.SQLite {
				assert.EqualValues(t, i+1, c.Seq)
			}
		}
		assert.Equal(t, all, seen, "the follower saw every event once")
	})
}

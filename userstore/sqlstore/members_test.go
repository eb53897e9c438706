package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

// Memberships must always name a stored user and group of their realm.
// SQLite keeps that with foreign keys, PostgreSQL (since version 7 of the
// schema) with triggers; these tests hold both to the same rules, also
// for writers that are not the Store.

// members returns the realm's memberships as "group user" lines.
func members(t *testing.T, db *sql.DB) []string {
	t.Helper()
	out, err := database.QueryAll(t.Context(), db, func(r *sql.Rows) (string, error) {
		var g, u string
		err := r.Scan(&g, &u)
		return g + " " + u, err
	}, `SELECT group_norm, user_id FROM usher_members WHERE realm = $1 ORDER BY group_norm, user_id`, database.DefaultRealm)
	require.NoError(t, err)
	return out
}

// orphans counts memberships whose user or group is not stored.
func orphans(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	require.NoError(t, db.QueryRowContext(t.Context(), `SELECT count(*) FROM usher_members m
WHERE NOT EXISTS (SELECT 1 FROM usher_users u WHERE u.realm = m.realm AND u.id = m.user_id)
   OR NOT EXISTS (SELECT 1 FROM usher_groups g WHERE g.realm = m.realm AND g.name_norm = m.group_norm)`).Scan(&n))
	return n
}

func TestMembershipRules(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		where := b.newDB(t)
		s := b.openStore(t, where)
		db := b.openDB(t, where).SQL()
		alice, err := s.CreateUser(ctx, userstore.User{Username: "alice"})
		require.NoError(t, err)
		bob, err := s.CreateUser(ctx, userstore.User{Username: "bob"})
		require.NoError(t, err)
		for _, g := range []string{"staff", "ops"} {
			_, err := s.CreateGroup(ctx, userstore.Group{Name: g})
			require.NoError(t, err)
		}
		for _, m := range [][2]string{{"staff", alice.ID}, {"staff", bob.ID}, {"ops", alice.ID}} {
			require.NoError(t, s.AddMember(ctx, m[0], m[1]))
		}
		want := []string{"ops " + alice.ID, "staff " + alice.ID, "staff " + bob.ID}
		require.Equal(t, want, members(t, db))

		refused := []struct{ name, query string }{
			{"unknown user", `INSERT INTO usher_members (realm, group_norm, user_id) VALUES ('default', 'ops', 'nobody')`},
			{"unknown group", `INSERT INTO usher_members (realm, group_norm, user_id) VALUES ('default', 'nogroup', '` + bob.ID + `')`},
			{"another realm", `INSERT INTO usher_members (realm, group_norm, user_id) VALUES ('other', 'ops', '` + bob.ID + `')`},
			{"one bad row of many", `INSERT INTO usher_members (realm, group_norm, user_id) VALUES ('default', 'ops', '` + bob.ID + `'), ('default', 'ops', 'nobody')`},
			{"moved to an unknown group", `UPDATE usher_members SET group_norm = 'nogroup' WHERE user_id = '` + bob.ID + `'`},
			{"moved to an unknown user", `UPDATE usher_members SET user_id = 'nobody' WHERE user_id = '` + bob.ID + `'`},
			{"a member's key changed", `UPDATE usher_users SET id = 'rekeyed' WHERE id = '` + bob.ID + `'`},
		}
		for _, r := range refused {
			_, err := db.ExecContext(ctx, r.query)
			assert.Truef(t, sqlstore.IsForeignKey(err), "%s: %v", r.name, err)
			assert.Equal(t, want, members(t, db), r.name)
		}

		// Allowed: a user's other columns change, a group is renamed, a
		// user and a group are deleted, all by plain SQL.
		_, err = db.ExecContext(ctx, `UPDATE usher_users SET display_name = 'Bob' WHERE id = $1`, bob.ID)
		require.NoError(t, err)
		_, err = db.ExecContext(ctx, `UPDATE usher_groups SET name_norm = 'crew', name = 'crew' WHERE name_norm = 'staff'`)
		require.NoError(t, err)
		assert.Equal(t, []string{"crew " + alice.ID, "crew " + bob.ID, "ops " + alice.ID}, members(t, db))
		_, err = db.ExecContext(ctx, `DELETE FROM usher_users WHERE id = $1`, alice.ID)
		require.NoError(t, err)
		assert.Equal(t, []string{"crew " + bob.ID}, members(t, db))
		_, err = db.ExecContext(ctx, `DELETE FROM usher_groups WHERE name_norm = 'crew'`)
		require.NoError(t, err)
		assert.Empty(t, members(t, db))

		if b.dialect == database.Postgres {
			require.NoError(t, s.AddMember(ctx, "ops", bob.ID))
			_, err = db.ExecContext(ctx, `TRUNCATE usher_groups`)
			assert.ErrorContains(t, err, "usher_members has rows")
			_, err = db.ExecContext(ctx, `TRUNCATE usher_groups, usher_members`)
			require.NoError(t, err)
		}
		assert.Zero(t, orphans(t, db))
	})
}

// TestMembershipConcurrentDeletes adds memberships while other
// goroutines delete the users and groups: whatever wins, no membership
// outlives its user or group.
func TestMembershipConcurrentDeletes(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		where := b.newDB(t)
		s := b.openStore(t, where)
		const n = 40
		var ids []string
		for i := range n {
			u, err := s.CreateUser(ctx, userstore.User{Username: fmt.Sprint("user", i)})
			require.NoError(t, err)
			ids = append(ids, u.ID)
			_, err = s.CreateGroup(ctx, userstore.Group{Name: fmt.Sprint("group", i)})
			require.NoError(t, err)
		}
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				err := s.AddMember(ctx, fmt.Sprint("group", i), ids[i])
				if err != nil && !errors.Is(err, userstore.ErrNotFound) {
					t.Errorf("add member: %v", err)
				}
				if err := s.AddMember(ctx, fmt.Sprint("group", (i+1)%n), ids[i]); err != nil && !errors.Is(err, userstore.ErrNotFound) {
					t.Errorf("add member: %v", err)
				}
			})
			wg.Go(func() {
				var err error
				if i%2 == 0 {
					err = s.DeleteUser(ctx, ids[i])
				} else {
					err = s.DeleteGroup(ctx, fmt.Sprint("group", i))
				}
				if err != nil {
					t.Errorf("delete: %v", err)
				}
			})
		}
		wg.Wait()
		assert.Zero(t, orphans(t, b.openDB(t, where).SQL()))
	})
}

// TestMembershipLocks plays the interleavings a check without locks gets
// wrong on PostgreSQL, one transaction against another: a delete or
// rename waits for the transaction that added a membership and then
// takes the membership along; an insert that waited for a delete fails.
func TestMembershipLocks(t *testing.T) {
	b := backends[1]
	ctx := t.Context()
	where := b.newDB(t)
	s := b.openStore(t, where)
	db := b.openDB(t, where).SQL()
	var ids []string
	for _, name := range []string{"u1", "u2", "u3"} {
		u, err := s.CreateUser(ctx, userstore.User{Username: name})
		require.NoError(t, err)
		ids = append(ids, u.ID)
	}
	for _, g := range []string{"staff", "ops"} {
		_, err := s.CreateGroup(ctx, userstore.Group{Name: g})
		require.NoError(t, err)
	}
	addMember := func(ctx context.Context, x execer, group, id string) error {
		_, err := x.ExecContext(ctx, `INSERT INTO usher_members (realm, group_norm, user_id) VALUES ('default', $1, $2)`, group, id)
		return err
	}

	t.Run("delete waits for the insert", func(t *testing.T) {
		tx, err := db.BeginTx(ctx, nil)
		require.NoError(t, err)
		require.NoError(t, addMember(ctx, tx, "staff", ids[0]))
		done := inBackground(func() error {
			_, err := db.ExecContext(ctx, `DELETE FROM usher_users WHERE id = $1`, ids[0])
			return err
		})
		waitForLockWait(t, db)
		require.NoError(t, tx.Commit())
		require.NoError(t, <-done)
		assert.Empty(t, members(t, db))
	})
	t.Run("rename waits for the insert", func(t *testing.T) {
		tx, err := db.BeginTx(ctx, nil)
		require.NoError(t, err)
		require.NoError(t, addMember(ctx, tx, "staff", ids[1]))
		done := inBackground(func() error {
			_, err := db.ExecContext(ctx, `UPDATE usher_groups SET name_norm = 'crew', name = 'crew' WHERE name_norm = 'staff'`)
			return err
		})
		waitForLockWait(t, db)
		require.NoError(t, tx.Commit())
		require.NoError(t, <-done)
		assert.Equal(t, []string{"crew " + ids[1]}, members(t, db))
	})
	t.Run("insert waits for the delete and fails", func(t *testing.T) {
		tx, err := db.BeginTx(ctx, nil)
		require.NoError(t, err)
		_, err = tx.ExecContext(ctx, `DELETE FROM usher_users WHERE id = $1`, ids[2])
		require.NoError(t, err)
		done := inBackground(func() error { return addMember(ctx, db, "ops", ids[2]) })
		waitForLockWait(t, db)
		require.NoError(t, tx.Commit())
		err = <-done
		assert.Truef(t, sqlstore.IsForeignKey(err), "%v", err)
		assert.Equal(t, []string{"crew " + ids[1]}, members(t, db))
	})
	assert.Zero(t, orphans(t, db))
}

// TestMembershipTriggersSearchPath deletes a user from a session whose
// search_path does not hold the store's tables: the cascade still finds
// the memberships.
func TestMembershipTriggersSearchPath(t *testing.T) {
	b := backends[1]
	ctx := t.Context()
	where := b.newDB(t)
	s := b.openStore(t, where)
	u, err := s.CreateUser(ctx, userstore.User{Username: "alice"})
	require.NoError(t, err)
	_, err = s.CreateGroup(ctx, userstore.Group{Name: "staff"})
	require.NoError(t, err)
	require.NoError(t, s.AddMember(ctx, "staff", u.ID))
	db := b.openDB(t, where).SQL()
	conn, err := db.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	var schema string
	require.NoError(t, conn.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema))
	_, err = conn.ExecContext(ctx, `SET search_path = pg_catalog`)
	require.NoError(t, err)
	_, err = conn.ExecContext(ctx, `DELETE FROM `+schema+`.usher_users WHERE id = $1`, u.ID)
	require.NoError(t, err)
	_, err = conn.ExecContext(ctx, `RESET search_path`)
	require.NoError(t, err)
	assert.Empty(t, members(t, db))
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// inBackground runs f in a goroutine and delivers its error.
func inBackground(f func() error) <-chan error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	return done
}

// waitForLockWait returns once a backend of db's database waits for a
// lock, and fails the test after 10 seconds.
func waitForLockWait(t *testing.T, db *sql.DB) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		var n int
		require.NoError(t, db.QueryRowContext(t.Context(), `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n))
		if n > 0 {
			return
		}
	}
	t.Fatal("no transaction waits for a lock")
}

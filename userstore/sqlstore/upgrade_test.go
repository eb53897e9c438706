package sqlstore_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/internal/testenv"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

// The databases in testdata/legacy were made by the release before the
// shared database package (testdata/legacy/make.go says how). Opening them
// with this code must upgrade them in place without losing anything.

func TestUpgradeLegacySQLite(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("testdata/legacy/v1.db")
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "v1.db")
	require.NoError(t, os.WriteFile(path, b, 0o600))
	checkUpgrade(t, backends[0], path)
}

func TestUpgradeLegacyPostgres(t *testing.T) {
	t.Parallel()
	dsn := testenv.PostgresDB(t)
	dump, err := os.ReadFile("testdata/legacy/v1.postgres.sql")
	require.NoError(t, err)
	restorePostgresDump(t, dsn, string(dump))
	checkUpgrade(t, backends[1], dsn)
}

// restorePostgresDump runs a plain pg_dump file as psql would, less its
// backslash meta-commands, on a connection of its own (the dump empties
// search_path for its session).
func restorePostgresDump(t *testing.T, dsn, dump string) {
	t.Helper()
	var lines []string
	for l := range strings.SplitSeq(dump, "\n") {
		if !strings.HasPrefix(l, `\`) {
			lines = append(lines, l)
		}
	}
	db, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	defer db.Close()
	_, err = db.ExecContext(t.Context(), strings.Join(lines, "\n")) // simple protocol: many statements
	require.NoError(t, err)
}

func checkUpgrade(t *testing.T, b backend, where string) {
	ctx := t.Context()
	for _, realm := range []string{database.DefaultRealm, "staff"} {
		s := b.openStore(t, where, sqlstore.WithRealm(realm))
		t.Run(realm, func(t *testing.T) { checkLegacyRealm(t, s, realm) })
	}
	db := b.openDB(t, where)
	rows, err := db.SQL().QueryContext(ctx, `SELECT component, version FROM usher_migrations ORDER BY component, version`)
	require.NoError(t, err)
	var got []string
	for rows.Next() {
		var c, v string
		require.NoError(t, rows.Scan(&c, &v))
		got = append(got, c+" "+v)
	}
	require.NoError(t, rows.Err())
	rows.Close()
	assert.Equal(t, []string{"core 1", "userstore 1", "userstore 2", "userstore 3", "userstore 4", "userstore 5", "userstore 6", "userstore 7"}, got)
	_, err = db.SQL().ExecContext(ctx, `SELECT 1 FROM usher_schema_migrations`)
	assert.Error(t, err, "the legacy version table is gone")
	var realms int
	require.NoError(t, db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM usher_core_realms WHERE realm IN ('default', 'staff')`).Scan(&realms))
	assert.Equal(t, 2, realms, "the realms moved to the core schema")

	// The upgraded schema is the one a fresh database gets.
	fresh := b.openDB(t, b.newDB(t))
	require.NoError(t, fresh.Migrate(ctx, sqlstore.Component()))
	assert.Equal(t, schemaOf(t, fresh), schemaOf(t, db))
}

func checkLegacyRealm(t *testing.T, s *sqlstore.Store, realm string) {
	ctx := t.Context()
	alice, err := s.GetUserByUsername(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, "Alice Ämmer ("+realm+")", alice.DisplayName)
	assert.True(t, strings.EqualFold("alice@example.test", alice.Email))
	assert.True(t, alice.EmailVerified)
	assert.True(t, alice.Enabled)
	assert.Equal(t, "+41 79 000 00 00", alice.Phone)
	assert.Equal(t, "Alice", alice.GivenName)
	assert.Equal(t, "Ämmer", alice.FamilyName)
	assert.Equal(t, map[string]string{"department": "R&D", "employeeNumber": "42"}, alice.Attributes)
	assert.Equal(t, "example.test", alice.Source)
	assert.Equal(t, "guid-alice", alice.ExternalID)
	assert.True(t, strings.HasPrefix(alice.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$"))
	assert.ElementsMatch(t, []string{"Staff", "admins"}, alice.Groups)
	assert.Empty(t, alice.Roles, "users of the previous release have no roles")
	byExt, err := s.GetUserByExternalID(ctx, "example.test", "guid-alice")
	require.NoError(t, err)
	assert.Equal(t, alice.ID, byExt.ID)

	bob, err := s.GetUserByUsername(ctx, "BOB")
	require.NoError(t, err)
	assert.False(t, bob.Enabled)
	assert.True(t, bob.MustChangePassword)
	assert.Equal(t, 1, bob.FailedLogins)
	assert.Equal(t, "AQAAAAIAAYagAAAAEAAAAAAAAAAAAAAAAAAAAAA=", bob.PasswordHash)
	assert.Equal(t, []string{"Staff"}, bob.Groups)

	g, err := s.GetGroup(ctx, "staff")
	require.NoError(t, err)
	assert.Equal(t, "everyone", g.Description)
	assert.Equal(t, map[string]string{"k": "v"}, g.Metadata)
	var members []string
	for u, err := range s.ListMembers(ctx, "Staff") {
		require.NoError(t, err)
		members = append(members, u.Username)
	}
	assert.ElementsMatch(t, []string{"alice", "bob"}, members)
	assert.Regexp(t, "^[0-9a-f]{32}$", g.ID, "groups of the previous release get an ID")
	admins, err := s.GetGroup(ctx, "admins")
	require.NoError(t, err)
	assert.NotEqual(t, g.ID, admins.ID)

	events := collect(t, s.Audit(ctx, userstore.AuditFilter{}))
	require.Len(t, events, 1)
	assert.Equal(t, "wrong password", events[0].Reason)
	assert.Equal(t, "192.0.2.1", events[0].Remote)
	assert.Equal(t, bob.ID, events[0].UserID)

	// The change feed goes on from where it was: the events of the
	// previous release keep their Seqs, 1 to 8, and new ones come after
	// them, also for a follower whose cursor is from before the upgrade.
	before := collect(t, s.Changes(ctx, 0))
	require.Len(t, before, 8)
	for i, c := range before {
		require.Equal(t, int64(i+1), c.Seq)
	}
	assert.Equal(t, userstore.UserUpdated, before[7].Kind)
	assert.Equal(t, bob.ID, before[7].UserID)
	carol, err := s.CreateUser(ctx, userstore.User{Username: "carol"})
	require.NoError(t, err)
	after := collect(t, s.Changes(ctx, before[len(before)-1].Seq))
	require.Len(t, after, 1)
	assert.Greater(t, after[0].Seq, before[len(before)-1].Seq)
	assert.Equal(t, carol.ID, after[0].UserID)
	if s.DB().Dialect() == database.SQLite {
		assert.Equal(t, int64(len(before)+1), after[0].Seq, "SQLite's Seqs stay dense")
	}
	midway := collect(t, s.Changes(ctx, 5))
	require.Len(t, midway, 4, "a cursor of the previous release")
	assert.Equal(t, before[5:], midway[:3])
	assert.Equal(t, after, midway[3:])

	// A group of the previous release can be renamed; its members follow.
	renamed := admins
	renamed.Name = "Administrators"
	_, err = s.UpdateGroupByID(ctx, userstore.GroupUpdate{Group: renamed})
	require.NoError(t, err)
	alice, err = s.GetUser(ctx, alice.ID)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"Staff", "Administrators"}, alice.Groups)

	tok, err := s.ConsumeToken(ctx, userstore.ResetTokenKind, "token-hash-"+realm)
	require.NoError(t, err)
	assert.Equal(t, alice.ID, tok.UserID)
	assert.Equal(t, []byte{1, 2, 3}, tok.Data)
}

// schemaOf describes the tables, columns and indexes of the database, for
// comparing two of them.
func schemaOf(t *testing.T, db *database.DB) []string {
	t.Helper()
	q := `SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'`
	if db.Dialect() == database.Postgres {
		q = `SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') || ' ' || coalesce(collation_name, '')
FROM information_schema.columns WHERE table_schema = current_schema()
UNION ALL SELECT 'index ' || indexname || ': ' || indexdef FROM pg_indexes WHERE schemaname = current_schema()
UNION ALL SELECT 'constraint ' || conname || ': ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = current_schema()::regnamespace`
	}
	rows, err := db.SQL().QueryContext(context.Background(), q)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		out = append(out, s)
	}
	require.NoError(t, rows.Err())
	slices.Sort(out)
	return out
}

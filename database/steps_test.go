package database_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/database"
)

// gadgets is a component whose migrations are Go steps: n versions, each
// adding a table, the last failing with fail when it is not nil.
func gadgets(n int, fail error) database.Component {
	return database.Component{Name: "gadgets", Steps: func(d database.Dialect) []database.Step {
		var out []database.Step
		for v := n; v >= 1; v-- { // in any order
			out = append(out, database.Step{Version: v, Name: fmt.Sprintf("gadgets_%03d", v), Up: func(ctx context.Context, tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, fmt.Sprintf("CREATE TABLE app_gadgets_%d (id TEXT PRIMARY KEY)", v)); err != nil {
					return err
				}
				if v == n && fail != nil {
					return fail
				}
				return nil
			}})
		}
		return out
	}}
}

func tableExists(t *testing.T, db *database.DB, name string) bool {
	t.Helper()
	_, err := db.SQL().ExecContext(t.Context(), "SELECT count(*) FROM "+name)
	return err == nil
}

func TestStepsAppliedAndRecorded(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := t.Context()
		db := open(t, dsn)
		require.NoError(t, db.Migrate(ctx, gadgets(2, nil), widgets(widgetsV1)))
		assert.Equal(t, []int{1, 2}, versions(t, db, "gadgets"))
		assert.Equal(t, []int{1}, versions(t, db, "widgets"))
		assert.True(t, tableExists(t, db, "app_gadgets_2"))
		require.NoError(t, db.CheckSchema(ctx, gadgets(2, nil)))

		// A newer release adds a step: CheckSchema sees it missing,
		// Migrate applies only it.
		err := db.CheckSchema(ctx, gadgets(3, nil))
		var se *database.SchemaError
		require.ErrorAs(t, err, &se)
		assert.ErrorIs(t, err, database.ErrSchemaBehind)
		assert.Equal(t, "gadgets", se.Component)
		require.NoError(t, db.Migrate(ctx, gadgets(3, nil)))
		assert.Equal(t, []int{1, 2, 3}, versions(t, db, "gadgets"))

		// Older code refuses the newer schema.
		assert.ErrorIs(t, db.Migrate(ctx, gadgets(2, nil)), database.ErrSchemaTooNew)
		assert.ErrorIs(t, db.CheckSchema(ctx, gadgets(2, nil)), database.ErrSchemaTooNew)
	})
}

func TestFailingStepLeavesNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := t.Context()
		db := open(t, dsn)
		boom := errors.New("boom")
		err := db.Migrate(ctx, widgets(widgetsV1), gadgets(2, boom))
		require.ErrorIs(t, err, boom, "the step's error is kept")
		assert.Contains(t, err.Error(), "gadgets to version 2 (gadgets_002)")
		assert.False(t, tableExists(t, db, "app_widgets"), "the file step of another component is rolled back")
		assert.False(t, tableExists(t, db, "app_gadgets_1"), "the earlier Go step is rolled back")
		assert.False(t, tableExists(t, db, "usher_migrations"), "even the version table is rolled back")
		require.NoError(t, db.Migrate(ctx, widgets(widgetsV1), gadgets(2, nil)))
		assert.Equal(t, []int{1, 2}, versions(t, db, "gadgets"))
	})
}

// TestCommitBefore: a step that needs the ones before it committed, as
// PostgreSQL requires of an enum value before it is used.
func TestCommitBefore(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := t.Context()
		db := open(t, dsn)
		exec := func(q string) func(context.Context, *sql.Tx) error {
			return func(ctx context.Context, tx *sql.Tx) error { _, err := tx.ExecContext(ctx, q); return err }
		}
		ddl := []string{
			"CREATE TABLE app_moods (mood TEXT NOT NULL)",
			"INSERT INTO app_moods (mood) VALUES ('calm')",
			"INSERT INTO app_moods (mood) VALUES ('glad')",
		}
		if db.Dialect() == database.Postgres {
			ddl = []string{
				"CREATE TYPE app_mood AS ENUM ('calm')",
				"ALTER TYPE app_mood ADD VALUE 'glad'",
				"CREATE TABLE app_moods (mood app_mood NOT NULL DEFAULT 'glad')",
			}
		}
		moods := func(split bool, fail error) database.Component {
			return database.Component{Name: "moods", Steps: func(database.Dialect) []database.Step {
				last := exec(ddl[2])
				if fail != nil {
					last = func(context.Context, *sql.Tx) error { return fail }
				}
				return []database.Step{
					{Version: 1, Name: "moods_1", Up: exec(ddl[0])},
					{Version: 2, Name: "moods_2", Up: exec(ddl[1])},
					{Version: 3, Name: "moods_3", Up: last, CommitBefore: split},
				}
			}}
		}
		if db.Dialect() == database.Postgres {
			err := db.Migrate(ctx, moods(false, nil))
			require.ErrorContains(t, err, "unsafe use of new value", "the reason for CommitBefore")
		}
		// A failure after the split keeps what was committed before it.
		boom := errors.New("boom")
		require.ErrorIs(t, db.Migrate(ctx, moods(true, boom)), boom)
		assert.Equal(t, []int{1, 2}, versions(t, db, "moods"))
		require.NoError(t, db.Migrate(ctx, moods(true, nil)))
		assert.Equal(t, []int{1, 2, 3}, versions(t, db, "moods"))
		require.NoError(t, db.CheckSchema(ctx, moods(true, nil)))
		// On a current schema, CommitBefore changes nothing.
		require.NoError(t, db.Migrate(ctx, moods(true, nil), gadgets(1, nil)))
		assert.Equal(t, []int{1}, versions(t, db, "gadgets"))
	})
}

func TestStepsErrors(t *testing.T) {
	t.Parallel()
	up := func(context.Context, *sql.Tx) error { return nil }
	steps := func(ss ...database.Step) func(database.Dialect) []database.Step {
		return func(database.Dialect) []database.Step { return ss }
	}
	tests := []struct {
		name string
		c    database.Component
		want string
	}{
		{"both", database.Component{Name: "x", Migrations: fstest.MapFS{}, Steps: steps()}, "both Migrations and Steps"},
		{"gap", database.Component{Name: "x", Steps: steps(database.Step{Version: 1, Name: "a", Up: up}, database.Step{Version: 3, Name: "c", Up: up})}, "version 3 where 2 was expected"},
		{"duplicate", database.Component{Name: "x", Steps: steps(database.Step{Version: 1, Name: "a", Up: up}, database.Step{Version: 1, Name: "b", Up: up})}, "version 1 where 2 was expected"},
		{"zero", database.Component{Name: "x", Steps: steps(database.Step{Version: 0, Name: "a", Up: up})}, "version 0 where 1 was expected"},
		{"no up", database.Component{Name: "x", Steps: steps(database.Step{Version: 1, Name: "a"})}, "needs a Name and an Up"},
		{"no name", database.Component{Name: "x", Steps: steps(database.Step{Version: 1, Up: up})}, "needs a Name and an Up"},
	}
	db, err := database.OpenSQLite(t.Context(), ":memory:")
	require.NoError(t, err)
	defer db.Close()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := db.Migrate(t.Context(), tt.c)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, db.CheckSchema(t.Context(), tt.c).Error(), tt.want)
		})
	}
	// A dialect without steps is an empty component.
	require.NoError(t, db.Migrate(t.Context(), database.Component{Name: "y", Steps: steps()}))
}

package database_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/internal/testenv"
)

// backend makes a fresh database of one dialect and returns its DSN.
type backend struct {
	name  string
	fresh func(t *testing.T) string
}

var backends = []backend{
	{"SQLite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "usher.db") }},
	{"Postgres", func(t *testing.T) string { return testenv.PostgresDB(t) }},
}

func eachBackend(t *testing.T, f func(t *testing.T, dsn string)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			f(t, b.fresh(t))
		})
	}
}

func open(t *testing.T, dsn string) *database.DB {
	t.Helper()
	db, err := database.Open(t.Context(), dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// widgets is an application component with two versions.
func widgets(versions ...string) database.Component {
	fs := fstest.MapFS{}
	for i, v := range versions {
		name := []string{"0001_init.sql", "0002_more.sql", "0003_again.sql"}[i]
		fs["sqlite/"+name] = &fstest.MapFile{Data: []byte(v)}
		fs["postgres/"+name] = &fstest.MapFile{Data: []byte(v)}
	}
	return database.Component{Name: "widgets", Migrations: fs}
}

const (
	widgetsV1 = "-- widgets\nCREATE TABLE app_widgets (\n\tid TEXT PRIMARY KEY\n);\n"
	widgetsV2 = "ALTER TABLE app_widgets ADD COLUMN color TEXT NOT NULL DEFAULT 'blue';\n\nCREATE INDEX app_widgets_color ON app_widgets (color);\n"
)

func versions(t *testing.T, db *database.DB, component string) []int {
	t.Helper()
	rows, err := db.SQL().QueryContext(t.Context(), `SELECT version FROM usher_migrations WHERE component = $1 ORDER BY version`, component)
	require.NoError(t, err)
	defer rows.Close()
	var out []int
	for rows.Next() {
		var v int
		require.NoError(t, rows.Scan(&v))
		out = append(out, v)
	}
	require.NoError(t, rows.Err())
	return out
}

func TestMigrateAppliesAndRecordsEachComponent(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := t.Context()
		db := open(t, dsn)
		require.NoError(t, db.Migrate(ctx, widgets(widgetsV1)))
		assert.Equal(t, []int{1}, versions(t, db, "core"))
		assert.Equal(t, []int{1}, versions(t, db, "widgets"))
		require.NoError(t, db.CheckSchema(ctx, widgets(widgetsV1)))

		// A newer release of the component adds a version.
		err := db.CheckSchema(ctx, widgets(widgetsV1, widgetsV2))
		require.ErrorIs(t, err, database.ErrSchemaBehind)
		var se *database.SchemaError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, database.SchemaError{Component: "widgets", Applied: 1, Known: 2, Err: database.ErrSchemaBehind}, *se)
		require.NoError(t, db.Migrate(ctx, widgets(widgetsV1, widgetsV2)))
		require.NoError(t, db.Migrate(ctx, widgets(widgetsV1, widgetsV2)), "migrating again changes nothing")
		assert.Equal(t, []int{1, 2}, versions(t, db, "widgets"))
		_, err = db.SQL().ExecContext(ctx, `INSERT INTO app_widgets (id) VALUES ('w1')`)
		require.NoError(t, err)
		var color string
		require.NoError(t, db.SQL().QueryRowContext(ctx, `SELECT color FROM app_widgets`).Scan(&color))
		assert.Equal(t, "blue", color)

		// The older release now refuses the database, and changes nothing.
		for name, f := range map[string]func() error{
			"Migrate":     func() error { return db.Migrate(ctx, widgets(widgetsV1)) },
			"CheckSchema": func() error { return db.CheckSchema(ctx, widgets(widgetsV1)) },
		} {
			err := f()
			require.ErrorIs(t, err, database.ErrSchemaTooNew, name)
			require.ErrorAs(t, err, &se)
			assert.Equal(t, "widgets", se.Component)
			assert.Equal(t, 2, se.Applied)
			assert.Equal(t, 1, se.Known)
			assert.Contains(t, err.Error(), `component "widgets" is at schema version 2 and is newer than this code`)
		}
		assert.Equal(t, []int{1, 2}, versions(t, db, "widgets"))
	})
}

func TestMigrateFailingStepLeavesNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := t.Context()
		db := open(t, dsn)
		bad := widgets(widgetsV1, "ALTER TABLE app_widgets ADD COLUMN size INTEGER;\nTHIS IS NOT SQL;\n")
		err := db.Migrate(ctx, bad)
		require.Error(t, err)
		assert.Contains(t, err.Error(), `migrate widgets to version 2 (0002_more.sql)`)
		assert.Contains(t, err.Error(), `"THIS IS NOT SQL"`)
		// One transaction: not even core's or widgets' first version stayed.
		err = db.CheckSchema(ctx)
		require.ErrorIs(t, err, database.ErrSchemaBehind)
		_, err = db.SQL().ExecContext(ctx, `SELECT 1 FROM app_widgets`)
		require.Error(t, err, "version 1 was rolled back with version 2")
		// The fixed release migrates.
		require.NoError(t, db.Migrate(ctx, widgets(widgetsV1, widgetsV2)))
	})
}

func TestConcurrentOpenersMigrateOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		const openers = 8
		var wg sync.WaitGroup
		errs := make([]error, openers)
		dbs := make([]*database.DB, openers)
		for i := range openers {
			// Separate handles, opened at once on a new database, as
			// separate processes starting together would.
			wg.Go(func() {
				db, err := database.Open(context.Background(), dsn)
				if err != nil {
					errs[i] = err
					return
				}
				dbs[i] = db
				errs[i] = db.Migrate(context.Background(), widgets(widgetsV1, widgetsV2))
			})
		}
		wg.Wait()
		for _, db := range dbs {
			if db != nil {
				t.Cleanup(func() { _ = db.Close() })
			}
		}
		for i, err := range errs {
			require.NoError(t, err, "opener %d", i)
		}
		assert.Equal(t, []int{1, 2}, versions(t, dbs[0], "widgets"))
		assert.Equal(t, []int{1}, versions(t, dbs[0], "core"))
	})
}

func TestLegacyHistoryIsAdopted(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := t.Context()
		db := open(t, dsn)
		// The table userstore/sqlstore kept before the shared mechanism.
		for _, q := range []string{
			`CREATE TABLE usher_schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`,
			`INSERT INTO usher_schema_migrations VALUES (1, '0001_init.sql', 1700000000000000000)`,
		} {
			_, err := db.SQL().ExecContext(ctx, q)
			require.NoError(t, err)
		}
		require.NoError(t, db.Migrate(ctx))
		assert.Equal(t, []int{1}, versions(t, db, "userstore"))
		var name string
		var at int64
		require.NoError(t, db.SQL().QueryRowContext(ctx, `SELECT name, applied_at FROM usher_migrations WHERE component = 'userstore'`).Scan(&name, &at))
		assert.Equal(t, "0001_init.sql", name)
		assert.Equal(t, int64(1700000000000000000), at)
		_, err := db.SQL().ExecContext(ctx, `SELECT 1 FROM usher_schema_migrations`)
		require.Error(t, err, "the legacy table is gone")
	})
}

func TestComponentErrors(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := open(t, "sqlite::memory:")
	sql1 := &fstest.MapFile{Data: []byte("SELECT 1;\n")}
	tests := []struct {
		name string
		c    database.Component
		want string
	}{
		{"bad name", database.Component{Name: "Widgets", Migrations: fstest.MapFS{}}, `component name "Widgets"`},
		{"empty name", database.Component{Migrations: fstest.MapFS{}}, `component name ""`},
		{"nil FS", database.Component{Name: "w"}, `component "w": nil Migrations`},
		{"bad file", database.Component{Name: "w", Migrations: fstest.MapFS{"sqlite/init.sql": sql1}}, "is not named NNNN_what.sql"},
		{"gap", database.Component{Name: "w", Migrations: fstest.MapFS{"sqlite/0001_a.sql": sql1, "sqlite/0003_c.sql": sql1}}, "version 3 where 2 was expected"},
		{"duplicate", database.Component{Name: "w", Migrations: fstest.MapFS{"sqlite/0001_a.sql": sql1, "sqlite/0001_b.sql": sql1}}, "version 1 where 2 was expected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.ErrorContains(t, db.Migrate(ctx, tt.c), tt.want)
			assert.ErrorContains(t, db.CheckSchema(ctx, tt.c), tt.want)
		})
	}
	// Nothing was applied by the refused calls.
	require.ErrorIs(t, db.CheckSchema(ctx), database.ErrSchemaBehind)
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	tests := []struct {
		dsn, want string
	}{
		{"", `scheme "none"`},
		{"mysql://root:secret@localhost/db", `scheme "mysql"`},
		{"sqlite:", "must be non-empty"},
		{"sqlite:a?b.db", "must be non-empty and contain neither"},
		{"sqlite:" + filepath.Join(t.TempDir(), "missing", "dir", "x.db"), "database: sqlite:"},
		{"postgres://nobody:secret@127.0.0.1:1/none?connect_timeout=2", "database: postgres:"},
	}
	for _, tt := range tests {
		_, err := database.Open(ctx, tt.dsn)
		require.Error(t, err, tt.dsn)
		assert.Contains(t, err.Error(), tt.want, tt.dsn)
		assert.NotContains(t, err.Error(), "secret", "a DSN's password never shows in an error")
	}
	_, err := database.New(ctx, nil, database.SQLite)
	assert.ErrorContains(t, err, "nil *sql.DB")
	raw, err := sql.Open("sqlite", ":memory:")
	require.NoError(t, err)
	defer raw.Close()
	_, err = database.New(ctx, raw, "oracle")
	assert.ErrorContains(t, err, `unknown dialect "oracle"`)
	_, err = database.New(ctx, raw, database.SQLite, nil, database.WithLogger(nil))
	assert.ErrorContains(t, err, "nil Option")
	assert.ErrorContains(t, err, "WithLogger: nil logger")
}

func TestNewDoesNotOwn(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	raw, err := sql.Open("sqlite", database.SQLiteDSN(filepath.Join(t.TempDir(), "own.db")))
	require.NoError(t, err)
	defer raw.Close()
	db, err := database.New(ctx, raw, database.SQLite)
	require.NoError(t, err)
	assert.Equal(t, database.SQLite, db.Dialect())
	require.NoError(t, db.Migrate(ctx))
	require.NoError(t, db.Close())
	require.NoError(t, raw.PingContext(ctx), "Close leaves a caller's handle open")
}

func TestTx(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := t.Context()
		db := open(t, dsn)
		require.NoError(t, db.Migrate(ctx, widgets(widgetsV1)))
		insert := func(id string) func(*sql.Tx) error {
			return func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO app_widgets (id) VALUES ($1)`, id)
				return err
			}
		}
		require.NoError(t, db.Tx(ctx, insert("a")))

		stop := errors.New("changed my mind")
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			require.NoError(t, insert("b")(tx))
			return stop
		})
		require.Same(t, stop, err, "fn's error comes back unchanged")

		// Concurrent writers all commit (SQLite's are queued in Go).
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() { assert.NoError(t, db.Tx(context.Background(), insert(string(rune('c'+i))))) })
		}
		wg.Wait()
		var n int
		require.NoError(t, db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM app_widgets`).Scan(&n))
		assert.Equal(t, 21, n, "a, c..v; b rolled back")

		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		assert.ErrorIs(t, db.Tx(cancelled, insert("z")), context.Canceled)
	})
}

func TestRealms(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := t.Context()
		db := open(t, dsn)
		require.NoError(t, db.Migrate(ctx))
		require.NoError(t, db.AddRealm(ctx, database.DefaultRealm))
		require.NoError(t, db.AddRealm(ctx, "staff"))
		require.NoError(t, db.AddRealm(ctx, "staff"), "adding again is fine")
		var n int
		require.NoError(t, db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM usher_core_realms`).Scan(&n))
		assert.Equal(t, 2, n)
		for _, bad := range []string{"", "a\nb", "a\x00b", string(make([]byte, 201))} {
			assert.Error(t, db.AddRealm(ctx, bad), "%q", bad)
		}
	})
}

func TestPrepare(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		db := open(t, dsn)
		c := widgets(widgetsV1)
		require.ErrorIs(t, db.Prepare(t.Context(), false, c), database.ErrSchemaBehind, "without migrating, a missing schema is refused")
		require.NoError(t, db.Prepare(t.Context(), true, c))
		require.NoError(t, db.Prepare(t.Context(), false, c), "now current")
	})
}

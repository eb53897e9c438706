package database

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Component is one part of Usher, or of the application, that keeps
// tables in the database: its name and its embedded migrations.
type Component struct {
	// Name keys the component's versions in the version table:
	// lower-case letters, digits, '-' and '_', starting with a letter, at
	// most 64 bytes ("userstore", "onboarding"). "core" is the database
	// package's own.
	Name string

	// Migrations holds one folder per dialect, "sqlite" and "postgres",
	// at its root or under "migrations" (as //go:embed migrations gives),
	// of files named NNNN_what.sql (NNNN is the version, from 1, without
	// gaps). A file's statements are separated by a semicolon at the end of
	// a line, except inside a dollar-quoted string ($$…$$ or $tag$…$tag$,
	// as a PostgreSQL function's body is written); lines starting with "--"
	// are comments, also inside such a string. Versions are applied
	// in order, never edited once released, and a component may leave a
	// dialect's folder out only when it never runs on that dialect.
	Migrations fs.FS

	// Steps, used instead of Migrations, gives the component's migrations
	// for a dialect as Go functions, for components whose schema is made
	// by code rather than SQL files (the River job queue's, which River's
	// own migrator writes). It returns the steps in any order, versions
	// from 1 without gaps, the same for every call; nil or none when the
	// component never runs on that dialect. A component has Migrations or
	// Steps, not both.
	Steps func(Dialect) []Step
}

// Step is one migration version written in Go. Migrate runs Up in the one
// migration transaction, after the steps before it and under the
// migration lock, and records Version and Name in usher_migrations as it
// does a file's. Up must use only tx (never the DB's pool, which would
// wait for the lock Migrate holds on SQLite) and must not commit or roll
// it back; when it fails, nothing of the migration is kept (but see
// CommitBefore). Like a file, a released step never changes.
type Step struct {
	// Version orders the component's steps, from 1.
	Version int
	// Name says what the step does, for the version table and the log
	// ("river_002").
	Name string
	// Up applies the step.
	Up func(ctx context.Context, tx *sql.Tx) error
	// CommitBefore makes Migrate commit what it applied so far, with its
	// versions, and run this step and those after it in a new transaction
	// under the lock again, for a step that needs an earlier one committed
	// (PostgreSQL refuses to use an enum value added in the same
	// transaction). A failure after the split leaves the versions before
	// it applied. Ignored when nothing was applied before the step.
	CommitBefore bool
}

//go:embed migrations
var coreFS embed.FS

// core is the database package's own component: the realms.
var core = Component{Name: "core", Migrations: coreFS}

var componentName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)

// migrationLockKey is the PostgreSQL advisory lock that serializes
// migrations ("usher-us" in ASCII), the same key as before the shared
// mechanism, so that an old and a new process never migrate at once.
const migrationLockKey int64 = 0x75736865722d7573

// legacyTable is where userstore/sqlstore recorded its versions before
// the shared mechanism; Migrate moves them into usher_migrations.
const legacyTable = "usher_schema_migrations"

// Errors about the schema's version. Match them with errors.Is; the
// error is a *SchemaError naming the component.
var (
	// ErrSchemaTooNew means the database was migrated by a newer version
	// of the component than this code knows. The code refuses to use it:
	// run the newer version, or restore a backup.
	ErrSchemaTooNew = errors.New("database: schema is newer than this code")

	// ErrSchemaBehind means versions this code needs are not applied yet
	// (seen by CheckSchema, when the application migrates on its own).
	ErrSchemaBehind = errors.New("database: schema is not migrated")
)

// SchemaError says which component's schema is at fault.
type SchemaError struct {
	Component string
	Applied   int   // highest version the database has
	Known     int   // highest version this code has
	Err       error // ErrSchemaTooNew or ErrSchemaBehind
}

func (e *SchemaError) Error() string {
	what := "is newer than this code, which knows"
	if errors.Is(e.Err, ErrSchemaBehind) {
		what = "needs migrating to"
	}
	return fmt.Sprintf("database: component %q is at schema version %d and %s version %d", e.Component, e.Applied, what, e.Known)
}

func (e *SchemaError) Unwrap() error { return e.Err }

// migration is one schema step: SQL statements, or a Go function.
type migration struct {
	version int
	name    string
	sql     string
	up      func(ctx context.Context, tx *sql.Tx) error
	// commitBefore: see Step.CommitBefore.
	commitBefore bool
}

// plan is the steps of one component for one dialect.
type plan struct {
	component string
	steps     []migration
}

func (p plan) known() int {
	if len(p.steps) == 0 {
		return 0
	}
	return p.steps[len(p.steps)-1].version
}

// plans reads the migrations of core and of cs for d, refusing bad names,
// duplicates and gaps.
func plans(d Dialect, cs []Component) ([]plan, error) {
	all := append([]Component{core}, cs...)
	var out []plan
	seen := map[string]bool{}
	for _, c := range all {
		if seen[c.Name] {
			continue // core named again, or a component given twice
		}
		seen[c.Name] = true
		if !componentName.MatchString(c.Name) {
			return nil, fmt.Errorf("database: component name %q: want lower-case letters, digits, '-' or '_' (at most 64)", c.Name)
		}
		var steps []migration
		var err error
		switch {
		case c.Migrations != nil && c.Steps != nil:
			return nil, fmt.Errorf("database: component %q: both Migrations and Steps", c.Name)
		case c.Steps != nil:
			steps, err = goSteps(c.Steps(d))
		case c.Migrations != nil:
			steps, err = readSteps(c.Migrations, string(d))
		default:
			return nil, fmt.Errorf("database: component %q: nil Migrations", c.Name)
		}
		if err != nil {
			return nil, fmt.Errorf("database: component %q: %w", c.Name, err)
		}
		out = append(out, plan{component: c.Name, steps: steps})
	}
	return out, nil
}

// goSteps checks a component's Go steps and orders them.
func goSteps(ss []Step) ([]migration, error) {
	out := make([]migration, 0, len(ss))
	for _, st := range ss {
		if st.Up == nil || st.Name == "" {
			return nil, fmt.Errorf("step %d (%q) needs a Name and an Up function", st.Version, st.Name)
		}
		out = append(out, migration{version: st.Version, name: st.Name, up: st.Up, commitBefore: st.CommitBefore})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("steps: version %d where %d was expected (%s)", m.version, i+1, m.name)
		}
	}
	return out, nil
}

func readSteps(fsys fs.FS, dir string) ([]migration, error) {
	if sub, err := fs.Sub(fsys, "migrations"); err == nil {
		if _, err := fs.Stat(sub, dir); err == nil {
			fsys = sub // an embed.FS of "migrations" itself
		}
	}
	entries, err := fs.ReadDir(fsys, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration file %s/%s is not named NNNN_what.sql", dir, e.Name())
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(b)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migrations of %s: version %d where %d was expected (%s)", dir, m.version, i+1, m.name)
		}
	}
	return out, nil
}

// Migrate brings the schema of the database's core and of every
// component in cs to the newest version this code has. Every version is
// recorded in one table, usher_migrations, keyed by component and
// version; all missing versions are applied in one transaction under one
// lock (a PostgreSQL advisory lock, SQLite's write lock), which re-reads
// what is applied once it holds the lock, so that any number of processes
// opening the database at once migrate it once and a failing step leaves
// nothing behind. Migrating a current schema only reads the version table.
// (A Step with CommitBefore splits that transaction in two; see Step.)
//
// A component whose database version is newer than this code's is refused
// with a *SchemaError matching ErrSchemaTooNew, before anything is applied.
// A database made before the shared mechanism, whose userstore versions
// are in usher_schema_migrations, has them moved into usher_migrations.
// Components the database holds but cs does not name are left alone.
func (d *DB) Migrate(ctx context.Context, cs ...Component) error {
	ps, err := plans(d.dialect, cs)
	if err != nil {
		return err
	}
	if applied, err := d.appliedVersions(ctx, d.sql); err == nil {
		behind, err := compare(ps, applied)
		if err != nil {
			return err
		}
		if behind == nil {
			return nil
		}
	}
	return d.migrateLocked(ctx, ps)
}

// Prepare is what a store does with its components when it is made:
// Migrate them when migrate is true (the default of every store), else
// CheckSchema them (a store made "without migrations", for operators who
// migrate at deploy time).
func (d *DB) Prepare(ctx context.Context, migrate bool, cs ...Component) error {
	if migrate {
		return d.Migrate(ctx, cs...)
	}
	return d.CheckSchema(ctx, cs...)
}

// CheckSchema reports whether the schema of core and of every component
// in cs is exactly what this code knows: nil, or a *SchemaError matching
// ErrSchemaBehind or ErrSchemaTooNew. Stores made without migrating call
// it.
func (d *DB) CheckSchema(ctx context.Context, cs ...Component) error {
	ps, err := plans(d.dialect, cs)
	if err != nil {
		return err
	}
	applied, err := d.appliedVersions(ctx, d.sql)
	if err != nil {
		applied = map[string][]int{} // no version table: nothing is applied
	}
	behind, err := compare(ps, applied)
	if err != nil {
		return err
	}
	if behind != nil {
		return behind
	}
	return nil
}

// compare returns the first component that misses a version as a
// *SchemaError matching ErrSchemaBehind (nil when none does), or an error
// when a component is newer than this code.
func compare(ps []plan, applied map[string][]int) (behind *SchemaError, err error) {
	for _, p := range ps {
		vs := applied[p.component]
		if top := highest(vs); top > p.known() {
			return nil, &SchemaError{Component: p.component, Applied: top, Known: p.known(), Err: ErrSchemaTooNew}
		}
		for _, m := range p.steps {
			if behind == nil && !slices.Contains(vs, m.version) {
				behind = &SchemaError{Component: p.component, Applied: highest(vs), Known: p.known(), Err: ErrSchemaBehind}
			}
		}
	}
	return behind, nil
}

func highest(vs []int) int {
	if len(vs) == 0 {
		return 0
	}
	return slices.Max(vs)
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// appliedVersions reads the version table: component -> versions.
func (d *DB) appliedVersions(ctx context.Context, q querier) (map[string][]int, error) {
	rows, err := q.QueryContext(ctx, `SELECT component, version FROM usher_migrations`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]int{}
	for rows.Next() {
		var c string
		var v int
		if err := rows.Scan(&c, &v); err != nil {
			return nil, err
		}
		out[c] = append(out[c], v)
	}
	return out, rows.Err()
}

// migrateLocked applies what is missing in one transaction on one
// connection, holding the migration lock, or in several in a row when a
// step asks for what was applied before it to be committed.
func (d *DB) migrateLocked(ctx context.Context, ps []plan) error {
	defer d.LockWriter()()
	conn, err := d.sql.Conn(ctx)
	if err != nil {
		return fmt.Errorf("database: migrate: %w", err)
	}
	defer conn.Close()
	if d.dialect == SQLite {
		// A DB made with New on a DSN without a busy timeout would fail at
		// once while another process migrates.
		var timeout int
		if err := conn.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&timeout); err == nil && timeout == 0 {
			_, _ = conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", sqliteBusyTimeout))
		}
	}
	for {
		more, err := d.migrateOnce(ctx, conn, ps)
		if err != nil || !more {
			return err
		}
	}
}

// migrateOnce applies, in one transaction, what is missing up to the next
// step that wants a commit before it, and reports whether steps remain.
func (d *DB) migrateOnce(ctx context.Context, conn *sql.Conn, ps []plan) (more bool, err error) {
	// On SQLite the transaction begins IMMEDIATE (SQLiteDSN's _txlock, which
	// New requires), taking the write lock at once; on PostgreSQL the
	// advisory lock below serializes migrators. Each transaction re-reads
	// what is applied once it holds the lock.
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("database: migrate: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err := d.prepareVersionTable(ctx, tx); err != nil {
		return false, fmt.Errorf("database: migrate: %w", err)
	}
	applied, err := d.appliedVersions(ctx, tx)
	if err != nil {
		return false, fmt.Errorf("database: migrate: %w", err)
	}
	if _, err := compare(ps, applied); err != nil {
		return false, err
	}
	var done []migration
	var doneBy []string
steps:
	for _, p := range ps {
		for _, m := range p.steps {
			if slices.Contains(applied[p.component], m.version) {
				continue
			}
			if m.commitBefore && len(done) > 0 {
				more = true
				break steps
			}
			if err := apply(ctx, tx, p.component, m); err != nil {
				return false, fmt.Errorf("database: migrate %s to version %d (%s): %w", p.component, m.version, m.name, err)
			}
			done, doneBy = append(done, m), append(doneBy, p.component)
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("database: migrate: commit: %w", err)
	}
	for i, m := range done {
		d.log.InfoContext(ctx, "database: applied migration", "dialect", string(d.dialect), "component", doneBy[i], "version", m.version, "name", m.name)
	}
	return more, nil
}

// prepareVersionTable takes the migration lock, creates usher_migrations
// when missing and moves the legacy userstore history into it.
func (d *DB) prepareVersionTable(ctx context.Context, conn *sql.Tx) error {
	if d.dialect == Postgres {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLockKey); err != nil {
			return err
		}
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS usher_migrations (
	component  TEXT NOT NULL,
	version    INTEGER NOT NULL,
	name       TEXT NOT NULL,
	applied_at BIGINT NOT NULL,
	PRIMARY KEY (component, version)
)`); err != nil {
		return err
	}
	exists := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1`
	if d.dialect == Postgres {
		exists = `SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = $1`
	}
	var n int
	if err := conn.QueryRowContext(ctx, exists, legacyTable).Scan(&n); err != nil || n == 0 {
		return err
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO usher_migrations (component, version, name, applied_at)
	SELECT 'userstore', version, name, applied_at FROM `+legacyTable+` WHERE true ON CONFLICT DO NOTHING`); err != nil {
		return err
	}
	_, err := conn.ExecContext(ctx, "DROP TABLE "+legacyTable)
	return err
}

// apply runs one step and records it.
func apply(ctx context.Context, conn *sql.Tx, component string, m migration) error {
	if m.up != nil {
		if err := m.up(ctx, conn); err != nil {
			return err
		}
	}
	for _, stmt := range statements(m.sql) {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%w in %q", err, firstLine(stmt))
		}
	}
	_, err := conn.ExecContext(ctx, `INSERT INTO usher_migrations (component, version, name, applied_at) VALUES ($1, $2, $3, $4)`,
		component, m.version, m.name, time.Now().UnixNano())
	return err
}

// statements splits a migration at semicolons that end a line outside a
// dollar-quoted string, and drops blank and comment lines.
func statements(src string) []string {
	var out, lines []string
	flush := func() {
		if s := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(strings.Join(lines, "\n")), ";")); s != "" {
			out = append(out, s)
		}
		lines = lines[:0]
	}
	quote := ""
	for l := range strings.SplitSeq(strings.ReplaceAll(src, "\r\n", "\n"), "\n") {
		if t := strings.TrimSpace(l); t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		lines = append(lines, l)
		if quote = dollarQuote(l, quote); quote == "" && strings.HasSuffix(l, ";") {
			flush()
		}
	}
	flush()
	return out
}

// dollarQuote returns the tag of the dollar quote ("$$" or "$name$") open
// at the end of line, given the one open at its start ("" for none).
// Outside a dollar quote it skips single-quoted strings and stops at a
// "--" comment.
func dollarQuote(line, open string) string {
	for i := 0; i < len(line); {
		if open != "" {
			j := strings.Index(line[i:], open)
			if j < 0 {
				return open
			}
			i, open = i+j+len(open), ""
			continue
		}
		switch {
		case strings.HasPrefix(line[i:], "--"):
			return ""
		case line[i] == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return ""
			}
			i += j + 2
		case line[i] == '$' && (i == 0 || !identChar(line[i-1])):
			if tag := dollarTag(line[i:]); tag != "" {
				i, open = i+len(tag), tag
				continue
			}
			i++
		default:
			i++
		}
	}
	return open
}

// identChar reports whether c may be part of an unquoted identifier, where
// a '$' does not start a dollar quote (PostgreSQL allows "a$b").
func identChar(c byte) bool {
	return c == '_' || c == '$' || c >= 0x80 || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// dollarTag returns the dollar-quote tag s starts with ("$$", "$body$"),
// or "" when s starts with something else, such as a parameter ($1).
func dollarTag(s string) string {
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '$':
			return s[:i+1]
		case c == '_' || c >= 0x80 || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z', i > 1 && '0' <= c && c <= '9':
		default:
			return ""
		}
	}
	return ""
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

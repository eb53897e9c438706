package push

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/usher-sdk/usher/database"
)

// CursorStore keeps each follower's position in the change feed: the Seq of
// the last change the downstream acknowledged. Implementations must be safe
// for concurrent use.
type CursorStore interface {
	// Load returns the saved position of the follower name, or 0 when
	// none is saved.
	Load(ctx context.Context, name string) (int64, error)
	// Save records seq as the position of the follower name.
	Save(ctx context.Context, name string, seq int64) error
}

// MemoryCursors is a CursorStore in memory, for tests and for followers that
// may start over from the feed's beginning after a restart (every push is
// idempotent by externalId). The zero value is ready to use and safe for
// concurrent use.
type MemoryCursors struct {
	mu sync.Mutex
	m  map[string]int64
}

// Load returns the saved position, 0 when none.
func (c *MemoryCursors) Load(_ context.Context, name string) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[name], nil
}

// Save records the position.
func (c *MemoryCursors) Save(_ context.Context, name string, seq int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]int64)
	}
	c.m[name] = seq
	return nil
}

//go:embed migrations
var migrationFS embed.FS

// Component returns the schema of SQLCursors, the table usher_scim_cursors,
// named "scimpush", to migrate with database.DB.Migrate together with the
// application's other components.
func Component() database.Component {
	return database.Component{Name: "scimpush", Migrations: migrationFS}
}

// SQLCursors is a CursorStore in the application's database, in the table
// usher_scim_cursors. Make it with NewSQLCursors. It is safe for concurrent
// use, also by several processes sharing the database.
type SQLCursors struct {
	db  *database.DB
	now func() time.Time
}

// NewSQLCursors returns a CursorStore on db. It migrates the "scimpush"
// component (Component) unless migrate is false, in which case it checks that
// its schema is current. It does not own db.
func NewSQLCursors(ctx context.Context, db *database.DB, migrate bool) (*SQLCursors, error) {
	if db == nil {
		return nil, errors.New("push: nil database")
	}
	if err := db.Prepare(ctx, migrate, Component()); err != nil {
		return nil, fmt.Errorf("push: cursor schema: %w", err)
	}
	return &SQLCursors{db: db, now: time.Now}, nil
}

// Load returns the saved position, 0 when none.
func (c *SQLCursors) Load(ctx context.Context, name string) (int64, error) {
	var seq int64
	err := c.db.SQL().QueryRowContext(ctx,
		`SELECT seq FROM usher_scim_cursors WHERE name = $1`, name).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("push: load cursor %q: %w", name, err)
	}
	return seq, nil
}

// Save records the position.
func (c *SQLCursors) Save(ctx context.Context, name string, seq int64) error {
	err := c.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx,
			`INSERT INTO usher_scim_cursors (name, seq, updated_at) VALUES ($1, $2, $3)
			 ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at`,
			name, seq, c.now().UnixNano())
		return err
	})
	if err != nil {
		return fmt.Errorf("push: save cursor %q: %w", name, err)
	}
	return nil
}

var (
	_ CursorStore = (*MemoryCursors)(nil)
	_ CursorStore = (*SQLCursors)(nil)
)

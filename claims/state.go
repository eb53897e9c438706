package claims

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/usher-sdk/usher/database"
)

// Pending is what a sign-in keeps between the redirect to the provider and
// the callback: the nonce the ID token must carry, the PKCE verifier of
// the code exchange, where to send the user afterwards, and when it
// expires.
type Pending struct {
	Nonce    string    `json:"nonce"`
	Verifier string    `json:"verifier,omitempty"`
	ReturnTo string    `json:"returnTo,omitempty"`
	Expires  time.Time `json:"expires"`
}

// StateStore keeps the pending sign-ins by their state parameter, so that
// the process that serves the callback need not be the one that sent the
// user to the provider. Implementations are safe for concurrent use.
type StateStore interface {
	// Put stores p under state. A state is put once.
	Put(ctx context.Context, state string, p Pending) error
	// Take removes and returns the pending sign-in of state. Of
	// concurrent callers exactly one gets it; the others, and every
	// caller for an unknown state, get ErrStateNotFound. Expiry is the
	// caller's to check.
	Take(ctx context.Context, state string) (Pending, error)
}

// ErrStateNotFound is returned by StateStore.Take for a state it does not
// hold (never stored, already taken, or purged after expiry).
var ErrStateNotFound = errors.New("claims: state not found")

// stateKey is the key a store keeps a state under: its SHA-256, so that
// reading the store yields no state an attacker could use.
func stateKey(state string) string {
	h := sha256.Sum256([]byte(state))
	return hex.EncodeToString(h[:])
}

// MemoryStates is a StateStore in memory, for tests and for a single
// server process. The zero value is ready to use and safe for concurrent
// use. Expired entries are dropped on Put.
type MemoryStates struct {
	mu sync.Mutex
	m  map[string]Pending
}

// Put stores p.
func (s *MemoryStates) Put(_ context.Context, state string, p Pending) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string]Pending)
	}
	now := time.Now()
	for k, v := range s.m {
		if now.After(v.Expires) {
			delete(s.m, k)
		}
	}
	s.m[stateKey(state)] = p
	return nil
}

// Take removes and returns the pending sign-in of state.
func (s *MemoryStates) Take(_ context.Context, state string) (Pending, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := stateKey(state)
	p, ok := s.m[k]
	if !ok {
		return Pending{}, ErrStateNotFound
	}
	delete(s.m, k)
	return p, nil
}

//go:embed migrations
var migrationFS embed.FS

// Component returns the schema of SQLStates, the table
// usher_claims_states, named "claims", to migrate with
// database.DB.Migrate together with the application's other components.
func Component() database.Component {
	return database.Component{Name: "claims", Migrations: migrationFS}
}

// SQLStates is a StateStore in the application's database (table
// usher_claims_states), so that any number of server processes sharing it
// can serve one sign-in. States are stored by their SHA-256 only. Make it
// with NewSQLStates; it is safe for concurrent use.
type SQLStates struct {
	db  *database.DB
	now func() time.Time
}

// NewSQLStates returns a StateStore on db. It migrates the "claims"
// component (Component) unless migrate is false, in which case it checks
// that its schema is current. It does not own db.
func NewSQLStates(ctx context.Context, db *database.DB, migrate bool) (*SQLStates, error) {
	if db == nil {
		return nil, errors.New("claims: nil database")
	}
	if err := db.Prepare(ctx, migrate, Component()); err != nil {
		return nil, fmt.Errorf("claims: state schema: %w", err)
	}
	return &SQLStates{db: db, now: time.Now}, nil
}

// Put stores p and drops the expired entries.
func (s *SQLStates) Put(ctx context.Context, state string, p Pending) error {
	data, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("claims: %w", err)
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM usher_claims_states WHERE expires_at < $1`, s.now().UnixNano()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx,
			`INSERT INTO usher_claims_states (state_hash, data, expires_at) VALUES ($1, $2, $3)`,
			stateKey(state), string(data), p.Expires.UnixNano())
		return err
	})
	if err != nil {
		return fmt.Errorf("claims: store state: %w", err)
	}
	return nil
}

// Take removes and returns the pending sign-in of state.
func (s *SQLStates) Take(ctx context.Context, state string) (Pending, error) {
	var data string
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx,
			`DELETE FROM usher_claims_states WHERE state_hash = $1 RETURNING data`, stateKey(state)).Scan(&data)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return Pending{}, ErrStateNotFound
	}
	if err != nil {
		return Pending{}, fmt.Errorf("claims: take state: %w", err)
	}
	var p Pending
	if err := json.Unmarshal([]byte(data), &p); err != nil {
		return Pending{}, fmt.Errorf("claims: stored state: %w", err)
	}
	return p, nil
}

var (
	_ StateStore = (*MemoryStates)(nil)
	_ StateStore = (*SQLStates)(nil)
)

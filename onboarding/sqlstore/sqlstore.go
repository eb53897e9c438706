// Package sqlstore is an onboarding.Store on the application's shared
// database (database.DB, SQLite or PostgreSQL), in the tables
// usher_onboarding_*. Its schema is the "onboarding" database.Component
// (Component), whose embedded migrations New applies. It passes
// onboarding/storetest.
//
// The device limit is enforced in one transaction that first locks the
// application's row (SELECT … FOR UPDATE on PostgreSQL; SQLite's write
// transactions are serial anyway), so that concurrent enrolments from any
// number of processes never exceed it.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"crypto/rand"

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/internal/ids"
	"github.com/usher-sdk/usher/onboarding"
)

//go:embed migrations
var migrationFS embed.FS

// Component returns the schema of the store, named "onboarding", to migrate
// with database.DB.Migrate together with the application's other components.
func Component() database.Component {
	return database.Component{Name: "onboarding", Migrations: migrationFS}
}

// Store is an onboarding.Store on a database.DB. Make it with New. It is
// safe for concurrent use, also by several processes sharing the database.
type Store struct {
	db        *database.DB
	noMigrate bool
	now       func() time.Time
	rand      io.Reader
	seq       ids.Sequence
}

// Option sets a dependency of a Store.
type Option func(*Store)

// WithClock sets the store's clock. Default: time.Now.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithoutMigrations makes New check that the schema is current instead of
// migrating it.
func WithoutMigrations() Option { return func(s *Store) { s.noMigrate = true } }

// New returns a Store on db, migrating the "onboarding" component (and the
// database's core) unless WithoutMigrations is given. It does not own db.
func New(ctx context.Context, db *database.DB, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, errors.New("sqlstore: nil database")
	}
	s := &Store{db: db, now: time.Now, rand: rand.Reader}
	for _, o := range opts {
		o(s)
	}
	if err := db.Prepare(ctx, !s.noMigrate, Component()); err != nil {
		return nil, fmt.Errorf("sqlstore: onboarding schema: %w", err)
	}
	return s, nil
}

func (s *Store) newID() (string, time.Time, error) {
	now := s.now().UTC().Round(0)
	id, err := s.seq.Next(now, s.rand)
	if err != nil {
		return "", now, fmt.Errorf("sqlstore: id: %w", err)
	}
	return id, now, nil
}

// nonNil keeps an empty key from becoming NULL.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func nanos(t time.Time) int64 { return t.UnixNano() }

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

func isUnique(err error) bool {
	if err == nil {
		return false
	}
	m := strings.ToLower(err.Error())
	return strings.Contains(m, "unique") || strings.Contains(m, "duplicate key")
}

// CreateApplication stores a with a new ID.
func (s *Store) CreateApplication(ctx context.Context, a onboarding.Application) (onboarding.Application, error) {
	id, now, err := s.newID()
	if err != nil {
		return onboarding.Application{}, err
	}
	a.ID, a.CreatedAt = id, now
	layout, err := json.Marshal(a.Layout)
	if err != nil {
		return onboarding.Application{}, fmt.Errorf("sqlstore: layout: %w", err)
	}
	reqs, err := json.Marshal(a.Requirements)
	if err != nil {
		return onboarding.Application{}, fmt.Errorf("sqlstore: requirements: %w", err)
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO usher_onboarding_applications
			(id, name, name_key, description, layout, requirements, user_realm, device_limit, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			a.ID, a.Name, onboarding.NameKey(a.Name), a.Description, string(layout), string(reqs), a.UserRealm, a.DeviceLimit, nanos(now))
		return err
	})
	if isUnique(err) {
		return onboarding.Application{}, fmt.Errorf("sqlstore: application %q: %w", a.Name, onboarding.ErrConflict)
	}
	if err != nil {
		return onboarding.Application{}, fmt.Errorf("sqlstore: create application: %w", err)
	}
	return a, nil
}

const appColumns = `id, name, description, layout, requirements, user_realm, device_limit, created_at`

func scanApp(row interface{ Scan(...any) error }) (onboarding.Application, error) {
	var a onboarding.Application
	var layout, reqs string
	var created int64
	if err := row.Scan(&a.ID, &a.Name, &a.Description, &layout, &reqs, &a.UserRealm, &a.DeviceLimit, &created); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return a, fmt.Errorf("sqlstore: application: %w", onboarding.ErrNotFound)
		}
		return a, fmt.Errorf("sqlstore: application: %w", err)
	}
	if err := json.Unmarshal([]byte(layout), &a.Layout); err != nil {
		return a, fmt.Errorf("sqlstore: application layout: %w", err)
	}
	if err := json.Unmarshal([]byte(reqs), &a.Requirements); err != nil {
		return a, fmt.Errorf("sqlstore: application requirements: %w", err)
	}
	a.CreatedAt = fromNanos(created)
	return a, nil
}

// GetApplication returns the application by ID.
func (s *Store) GetApplication(ctx context.Context, id string) (onboarding.Application, error) {
	return scanApp(s.db.SQL().QueryRowContext(ctx,
		`SELECT `+appColumns+` FROM usher_onboarding_applications WHERE id = $1`, id))
}

// GetApplicationByName finds an application by name without regard to case.
func (s *Store) GetApplicationByName(ctx context.Context, name string) (onboarding.Application, error) {
	return scanApp(s.db.SQL().QueryRowContext(ctx,
		`SELECT `+appColumns+` FROM usher_onboarding_applications WHERE name_key = $1`, onboarding.NameKey(name)))
}

// ListApplications returns every application, by name without regard to
// case.
func (s *Store) ListApplications(ctx context.Context) ([]onboarding.Application, error) {
	out, err := database.QueryAll(ctx, s.db.SQL(), func(r *sql.Rows) (onboarding.Application, error) { return scanApp(r) },
		`SELECT `+appColumns+` FROM usher_onboarding_applications ORDER BY name_key, id`)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list applications: %w", err)
	}
	if out == nil {
		out = []onboarding.Application{}
	}
	return out, nil
}

// UpdateApplication replaces the application a.ID, keeping ID and
// CreatedAt.
func (s *Store) UpdateApplication(ctx context.Context, a onboarding.Application) (onboarding.Application, error) {
	layout, err := json.Marshal(a.Layout)
	if err != nil {
		return onboarding.Application{}, fmt.Errorf("sqlstore: layout: %w", err)
	}
	reqs, err := json.Marshal(a.Requirements)
	if err != nil {
		return onboarding.Application{}, fmt.Errorf("sqlstore: requirements: %w", err)
	}
	var out onboarding.Application
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE usher_onboarding_applications
			SET name = $2, name_key = $3, description = $4, layout = $5, requirements = $6, user_realm = $7, device_limit = $8
			WHERE id = $1`,
			a.ID, a.Name, onboarding.NameKey(a.Name), a.Description, string(layout), string(reqs), a.UserRealm, a.DeviceLimit)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("sqlstore: application: %w", onboarding.ErrNotFound)
		}
		out, err = scanApp(tx.QueryRowContext(ctx, `SELECT `+appColumns+` FROM usher_onboarding_applications WHERE id = $1`, a.ID))
		return err
	})
	if isUnique(err) {
		return onboarding.Application{}, fmt.Errorf("sqlstore: application %q: %w", a.Name, onboarding.ErrConflict)
	}
	if err != nil {
		if errors.Is(err, onboarding.ErrNotFound) {
			return onboarding.Application{}, err
		}
		return onboarding.Application{}, fmt.Errorf("sqlstore: update application: %w", err)
	}
	return out, nil
}

const activityColumns = `id, application_id, public_key, key_fingerprint, user_id, login, step, nonce, status, steps, created_at, updated_at`

func scanActivity(row interface{ Scan(...any) error }) (onboarding.Activity, error) {
	var a onboarding.Activity
	var steps string
	var created, updated int64
	if err := row.Scan(&a.ID, &a.ApplicationID, &a.PublicKey, &a.KeyFingerprint, &a.UserID, &a.Login, &a.Step,
		&a.Nonce, &a.Status, &steps, &created, &updated); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return a, fmt.Errorf("sqlstore: activity: %w", onboarding.ErrNotFound)
		}
		return a, fmt.Errorf("sqlstore: activity: %w", err)
	}
	if err := json.Unmarshal([]byte(steps), &a.Steps); err != nil {
		return a, fmt.Errorf("sqlstore: activity steps: %w", err)
	}
	a.CreatedAt, a.UpdatedAt = fromNanos(created), fromNanos(updated)
	return a, nil
}

// CreateActivity stores a with a new ID.
func (s *Store) CreateActivity(ctx context.Context, a onboarding.Activity) (onboarding.Activity, error) {
	id, now, err := s.newID()
	if err != nil {
		return onboarding.Activity{}, err
	}
	a.ID, a.CreatedAt, a.UpdatedAt = id, now, now
	steps, err := json.Marshal(a.Steps)
	if err != nil {
		return onboarding.Activity{}, fmt.Errorf("sqlstore: steps: %w", err)
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO usher_onboarding_activities (`+activityColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			a.ID, a.ApplicationID, nonNil(a.PublicKey), a.KeyFingerprint, a.UserID, a.Login, a.Step, a.Nonce, string(a.Status),
			string(steps), nanos(now), nanos(now))
		return err
	})
	if err != nil {
		return onboarding.Activity{}, fmt.Errorf("sqlstore: create activity: %w", err)
	}
	return a, nil
}

// GetActivity returns the activity by ID.
func (s *Store) GetActivity(ctx context.Context, id string) (onboarding.Activity, error) {
	return scanActivity(s.db.SQL().QueryRowContext(ctx,
		`SELECT `+activityColumns+` FROM usher_onboarding_activities WHERE id = $1`, id))
}

func (s *Store) forUpdate() string {
	if s.db.Dialect() == database.Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// UpdateActivity runs fn on the activity in one transaction, its row locked.
func (s *Store) UpdateActivity(ctx context.Context, id string, fn func(*onboarding.Activity) error) (onboarding.Activity, error) {
	var out onboarding.Activity
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		old, err := scanActivity(tx.QueryRowContext(ctx,
			`SELECT `+activityColumns+` FROM usher_onboarding_activities WHERE id = $1`+s.forUpdate(), id))
		if err != nil {
			return err
		}
		a := old
		a.Steps = append([]onboarding.Step(nil), old.Steps...)
		if err := fn(&a); err != nil {
			return err
		}
		a.ID, a.ApplicationID, a.PublicKey, a.CreatedAt = old.ID, old.ApplicationID, old.PublicKey, old.CreatedAt
		a.UpdatedAt = s.now().UTC().Round(0)
		steps, err := json.Marshal(a.Steps)
		if err != nil {
			return fmt.Errorf("sqlstore: steps: %w", err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE usher_onboarding_activities SET key_fingerprint = $2, user_id = $3,
			login = $4, step = $5, nonce = $6, status = $7, steps = $8, updated_at = $9 WHERE id = $1`,
			a.ID, a.KeyFingerprint, a.UserID, a.Login, a.Step, a.Nonce, string(a.Status), string(steps), nanos(a.UpdatedAt))
		if err != nil {
			return fmt.Errorf("sqlstore: update activity: %w", err)
		}
		out = a
		return nil
	})
	if err != nil {
		return onboarding.Activity{}, err
	}
	return out, nil
}

// ListActivities returns an application's activities, newest first.
func (s *Store) ListActivities(ctx context.Context, applicationID string, status onboarding.Status) ([]onboarding.Activity, error) {
	out, err := database.QueryAll(ctx, s.db.SQL(), func(r *sql.Rows) (onboarding.Activity, error) { return scanActivity(r) },
		`SELECT `+activityColumns+` FROM usher_onboarding_activities
		WHERE application_id = $1 AND ($2 = '' OR status = $2) ORDER BY id DESC`, applicationID, string(status))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list activities: %w", err)
	}
	return out, nil
}

// DeleteActivity removes an activity.
func (s *Store) DeleteActivity(ctx context.Context, id string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM usher_onboarding_activities WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("sqlstore: delete activity: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("sqlstore: activity: %w", onboarding.ErrNotFound)
		}
		return nil
	})
}

const deviceColumns = `id, application_id, user_id, public_key, cert_serial, activity_id, state, created_at`

func scanDevice(row interface{ Scan(...any) error }) (onboarding.Device, error) {
	var d onboarding.Device
	var created int64
	if err := row.Scan(&d.ID, &d.ApplicationID, &d.UserID, &d.PublicKey, &d.CertSerial, &d.ActivityID, &d.State, &created); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return d, fmt.Errorf("sqlstore: device: %w", onboarding.ErrNotFound)
		}
		return d, fmt.Errorf("sqlstore: device: %w", err)
	}
	d.CreatedAt = fromNanos(created)
	return d, nil
}

// AddDevice stores d unless the user is at limit, atomically.
func (s *Store) AddDevice(ctx context.Context, d onboarding.Device, limit int) (onboarding.Device, error) {
	id, now, err := s.newID()
	if err != nil {
		return onboarding.Device{}, err
	}
	if d.ID == "" {
		d.ID = id
	}
	d.CreatedAt = now
	if d.State == "" {
		d.State = onboarding.DeviceActive
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if s.db.Dialect() == database.Postgres {
			// Serialize enrolments of one application; the row may not
			// exist (a store used without applications), which is fine
			// on SQLite, whose writers are serial, but not here.
			var x string
			err := tx.QueryRowContext(ctx, `SELECT id FROM usher_onboarding_applications WHERE id = $1 FOR UPDATE`, d.ApplicationID).Scan(&x)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("sqlstore: application: %w", onboarding.ErrNotFound)
			}
			if err != nil {
				return fmt.Errorf("sqlstore: lock application: %w", err)
			}
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM usher_onboarding_devices
			WHERE application_id = $1 AND user_id = $2`, d.ApplicationID, d.UserID).Scan(&n); err != nil {
			return fmt.Errorf("sqlstore: count devices: %w", err)
		}
		if n >= limit {
			return fmt.Errorf("sqlstore: %w", onboarding.ErrDeviceLimit)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO usher_onboarding_devices (`+deviceColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			d.ID, d.ApplicationID, d.UserID, nonNil(d.PublicKey), d.CertSerial, d.ActivityID, string(d.State), nanos(now))
		if err != nil {
			return fmt.Errorf("sqlstore: add device: %w", err)
		}
		return nil
	})
	if err != nil {
		return onboarding.Device{}, err
	}
	return d, nil
}

// GetDevice returns the device by ID.
func (s *Store) GetDevice(ctx context.Context, id string) (onboarding.Device, error) {
	return scanDevice(s.db.SQL().QueryRowContext(ctx,
		`SELECT `+deviceColumns+` FROM usher_onboarding_devices WHERE id = $1`, id))
}

func (s *Store) devices(ctx context.Context, q database.Querier, query string, args ...any) ([]onboarding.Device, error) {
	out, err := database.QueryAll(ctx, q, func(r *sql.Rows) (onboarding.Device, error) { return scanDevice(r) }, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list devices: %w", err)
	}
	return out, nil
}

// ListDevices returns a user's devices in an application, oldest first.
func (s *Store) ListDevices(ctx context.Context, applicationID, userID string) ([]onboarding.Device, error) {
	return s.devices(ctx, s.db.SQL(), `SELECT `+deviceColumns+` FROM usher_onboarding_devices
		WHERE application_id = $1 AND user_id = $2 ORDER BY id`, applicationID, userID)
}

// DeleteDevice removes a device and returns it.
func (s *Store) DeleteDevice(ctx context.Context, id string) (onboarding.Device, error) {
	var d onboarding.Device
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		d, err = scanDevice(tx.QueryRowContext(ctx, `DELETE FROM usher_onboarding_devices WHERE id = $1 RETURNING `+deviceColumns, id))
		return err
	})
	return d, err
}

// DeleteUserDevices removes every device of userID.
func (s *Store) DeleteUserDevices(ctx context.Context, userID string) ([]onboarding.Device, error) {
	var out []onboarding.Device
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = s.devices(ctx, tx, `DELETE FROM usher_onboarding_devices WHERE user_id = $1 RETURNING `+deviceColumns, userID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

var _ onboarding.Store = (*Store)(nil)

// Package memstore is an in-memory onboarding.Store for tests and for
// applications that need not keep onboardings across restarts. It passes
// onboarding/storetest. Values go in and come out as copies.
package memstore

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/usher-sdk/usher/internal/ids"
	"github.com/usher-sdk/usher/onboarding"
)

// Store is an in-memory onboarding.Store. Make it with New; it is safe for
// concurrent use.
type Store struct {
	mu         sync.Mutex
	now        func() time.Time
	seq        ids.Sequence
	apps       map[string]onboarding.Application
	activities map[string]onboarding.Activity
	devices    map[string]onboarding.Device
}

// Option sets a dependency of a Store.
type Option func(*Store)

// WithClock sets the store's clock. Default: time.Now.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// New returns an empty Store.
func New(opts ...Option) *Store {
	s := &Store{
		now:        time.Now,
		apps:       map[string]onboarding.Application{},
		activities: map[string]onboarding.Activity{},
		devices:    map[string]onboarding.Device{},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

func (s *Store) newID() (string, time.Time, error) {
	now := s.now().UTC().Round(0)
	id, err := s.seq.Next(now, rand.Reader)
	if err != nil {
		return "", now, fmt.Errorf("memstore: id: %w", err)
	}
	return id, now, nil
}

func copyApp(a onboarding.Application) onboarding.Application {
	a.Requirements = slices.Clone(a.Requirements)
	for i := range a.Requirements {
		a.Requirements[i].Settings = bytes.Clone(a.Requirements[i].Settings)
	}
	return a
}

func copyActivity(a onboarding.Activity) onboarding.Activity {
	a.PublicKey = bytes.Clone(a.PublicKey)
	a.Steps = slices.Clone(a.Steps)
	return a
}

func copyDevice(d onboarding.Device) onboarding.Device {
	d.PublicKey = bytes.Clone(d.PublicKey)
	return d
}

// CreateApplication stores a with a new ID.
func (s *Store) CreateApplication(_ context.Context, a onboarding.Application) (onboarding.Application, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := onboarding.NameKey(a.Name)
	for _, o := range s.apps {
		if onboarding.NameKey(o.Name) == key {
			return onboarding.Application{}, fmt.Errorf("memstore: application %q: %w", a.Name, onboarding.ErrConflict)
		}
	}
	id, now, err := s.newID()
	if err != nil {
		return onboarding.Application{}, err
	}
	a = copyApp(a)
	a.ID, a.CreatedAt = id, now
	s.apps[id] = a
	return copyApp(a), nil
}

// GetApplication returns the application by ID.
func (s *Store) GetApplication(_ context.Context, id string) (onboarding.Application, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.apps[id]
	if !ok {
		return onboarding.Application{}, fmt.Errorf("memstore: application: %w", onboarding.ErrNotFound)
	}
	return copyApp(a), nil
}

// GetApplicationByName finds an application by name without regard to case.
func (s *Store) GetApplicationByName(_ context.Context, name string) (onboarding.Application, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := onboarding.NameKey(name)
	for _, a := range s.apps {
		if onboarding.NameKey(a.Name) == key {
			return copyApp(a), nil
		}
	}
	return onboarding.Application{}, fmt.Errorf("memstore: application: %w", onboarding.ErrNotFound)
}

// ListApplications returns every application, by name without regard to
// case.
func (s *Store) ListApplications(_ context.Context) ([]onboarding.Application, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]onboarding.Application, 0, len(s.apps))
	for _, a := range s.apps {
		out = append(out, copyApp(a))
	}
	slices.SortFunc(out, func(a, b onboarding.Application) int {
		return cmp.Or(strings.Compare(onboarding.NameKey(a.Name), onboarding.NameKey(b.Name)), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// UpdateApplication replaces the application a.ID, keeping ID and
// CreatedAt.
func (s *Store) UpdateApplication(_ context.Context, a onboarding.Application) (onboarding.Application, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.apps[a.ID]
	if !ok {
		return onboarding.Application{}, fmt.Errorf("memstore: application: %w", onboarding.ErrNotFound)
	}
	key := onboarding.NameKey(a.Name)
	for _, o := range s.apps {
		if o.ID != a.ID && onboarding.NameKey(o.Name) == key {
			return onboarding.Application{}, fmt.Errorf("memstore: application %q: %w", a.Name, onboarding.ErrConflict)
		}
	}
	a = copyApp(a)
	a.CreatedAt = old.CreatedAt
	s.apps[a.ID] = a
	return copyApp(a), nil
}

// CreateActivity stores a with a new ID.
func (s *Store) CreateActivity(_ context.Context, a onboarding.Activity) (onboarding.Activity, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, now, err := s.newID()
	if err != nil {
		return onboarding.Activity{}, err
	}
	a = copyActivity(a)
	a.ID, a.CreatedAt, a.UpdatedAt = id, now, now
	s.activities[id] = a
	return copyActivity(a), nil
}

// GetActivity returns the activity by ID.
func (s *Store) GetActivity(_ context.Context, id string) (onboarding.Activity, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.activities[id]
	if !ok {
		return onboarding.Activity{}, fmt.Errorf("memstore: activity: %w", onboarding.ErrNotFound)
	}
	return copyActivity(a), nil
}

// UpdateActivity runs fn on the activity under the store's lock.
func (s *Store) UpdateActivity(_ context.Context, id string, fn func(*onboarding.Activity) error) (onboarding.Activity, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.activities[id]
	if !ok {
		return onboarding.Activity{}, fmt.Errorf("memstore: activity: %w", onboarding.ErrNotFound)
	}
	a := copyActivity(old)
	if err := fn(&a); err != nil {
		return onboarding.Activity{}, err
	}
	a.ID, a.ApplicationID, a.PublicKey, a.CreatedAt = old.ID, old.ApplicationID, old.PublicKey, old.CreatedAt
	a.UpdatedAt = s.now().UTC().Round(0)
	a = copyActivity(a)
	s.activities[id] = a
	return copyActivity(a), nil
}

// ListActivities returns an application's activities, newest first.
func (s *Store) ListActivities(_ context.Context, applicationID string, status onboarding.Status) ([]onboarding.Activity, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []onboarding.Activity
	for _, a := range s.activities {
		if a.ApplicationID == applicationID && (status == "" || a.Status == status) {
			out = append(out, copyActivity(a))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out, nil
}

// DeleteActivity removes an activity.
func (s *Store) DeleteActivity(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.activities[id]; !ok {
		return fmt.Errorf("memstore: activity: %w", onboarding.ErrNotFound)
	}
	delete(s.activities, id)
	return nil
}

// AddDevice stores d unless the user is at limit.
func (s *Store) AddDevice(_ context.Context, d onboarding.Device, limit int) (onboarding.Device, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, o := range s.devices {
		if o.ApplicationID == d.ApplicationID && o.UserID == d.UserID {
			n++
		}
	}
	if n >= limit {
		return onboarding.Device{}, fmt.Errorf("memstore: %w", onboarding.ErrDeviceLimit)
	}
	id, now, err := s.newID()
	if err != nil {
		return onboarding.Device{}, err
	}
	d = copyDevice(d)
	if d.ID == "" {
		d.ID = id
	}
	d.CreatedAt = now
	if d.State == "" {
		d.State = onboarding.DeviceActive
	}
	s.devices[d.ID] = d
	return copyDevice(d), nil
}

// GetDevice returns the device by ID.
func (s *Store) GetDevice(_ context.Context, id string) (onboarding.Device, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.devices[id]
	if !ok {
		return onboarding.Device{}, fmt.Errorf("memstore: device: %w", onboarding.ErrNotFound)
	}
	return copyDevice(d), nil
}

// ListDevices returns a user's devices in an application, oldest first.
func (s *Store) ListDevices(_ context.Context, applicationID, userID string) ([]onboarding.Device, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []onboarding.Device
	for _, d := range s.devices {
		if d.ApplicationID == applicationID && d.UserID == userID {
			out = append(out, copyDevice(d))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// DeleteDevice removes a device and returns it.
func (s *Store) DeleteDevice(_ context.Context, id string) (onboarding.Device, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.devices[id]
	if !ok {
		return onboarding.Device{}, fmt.Errorf("memstore: device: %w", onboarding.ErrNotFound)
	}
	delete(s.devices, id)
	return d, nil
}

// DeleteUserDevices removes every device of userID.
func (s *Store) DeleteUserDevices(_ context.Context, userID string) ([]onboarding.Device, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []onboarding.Device
	for id, d := range s.devices {
		if d.UserID == userID {
			out = append(out, d)
			delete(s.devices, id)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

var _ onboarding.Store = (*Store)(nil)

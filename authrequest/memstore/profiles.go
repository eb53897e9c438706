package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/usher-sdk/usher/authrequest"
)

func (s *Store) profileNameTakenLocked(applicationID, name, exceptID string) bool {
	key := nameKey(name)
	for _, o := range s.profiles {
		if o.ID != exceptID && o.ApplicationID == applicationID && nameKey(o.Name) == key {
			return true
		}
	}
	return false
}

// CreateProfile stores p with a new ID.
func (s *Store) CreateProfile(ctx context.Context, p authrequest.Profile) (authrequest.Profile, error) {
	if err := s.lock(ctx); err != nil {
		return authrequest.Profile{}, err
	}
	defer s.mu.Unlock()
	if s.profileNameTakenLocked(p.ApplicationID, p.Name, "") {
		return authrequest.Profile{}, fmt.Errorf("memstore: profile %q: %w", p.Name, authrequest.ErrConflict)
	}
	id, now, err := s.newID()
	if err != nil {
		return authrequest.Profile{}, err
	}
	p = copyProfile(p)
	p.ID, p.CreatedAt, p.UpdatedAt = id, now, now
	s.profiles[id] = p
	return copyProfile(p), nil
}

// GetProfile returns the profile, with its Secrets.
func (s *Store) GetProfile(ctx context.Context, id string) (authrequest.Profile, error) {
	if err := s.lock(ctx); err != nil {
		return authrequest.Profile{}, err
	}
	defer s.mu.Unlock()
	p, ok := s.profiles[id]
	if !ok {
		return authrequest.Profile{}, notFound("profile")
	}
	return copyProfile(p), nil
}

// UpdateProfile replaces the profile; a name another profile of the
// application has is ErrConflict.
func (s *Store) UpdateProfile(ctx context.Context, p authrequest.Profile) (authrequest.Profile, error) {
	if err := s.lock(ctx); err != nil {
		return authrequest.Profile{}, err
	}
	defer s.mu.Unlock()
	old, ok := s.profiles[p.ID]
	if !ok {
		return authrequest.Profile{}, notFound("profile")
	}
	if s.profileNameTakenLocked(old.ApplicationID, p.Name, p.ID) {
		return authrequest.Profile{}, fmt.Errorf("memstore: profile %q: %w", p.Name, authrequest.ErrConflict)
	}
	p = copyProfile(p)
	p.ApplicationID, p.CreatedAt, p.UpdatedAt = old.ApplicationID, old.CreatedAt, s.stamp()
	s.profiles[p.ID] = p
	return copyProfile(p), nil
}

// ListProfiles returns an application's profiles by name.
func (s *Store) ListProfiles(ctx context.Context, applicationID string) ([]authrequest.Profile, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []authrequest.Profile
	for _, p := range s.profiles {
		if p.ApplicationID == applicationID {
			out = append(out, copyProfile(p))
		}
	}
	slices.SortFunc(out, func(a, b authrequest.Profile) int {
		return cmp.Or(cmp.Compare(nameKey(a.Name), nameKey(b.Name)), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// DeleteProfile removes a profile.
func (s *Store) DeleteProfile(ctx context.Context, id string) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.profiles[id]; !ok {
		return notFound("profile")
	}
	delete(s.profiles, id)
	return nil
}

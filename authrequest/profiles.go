package authrequest

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/usher-sdk/usher/authrequest/callback"
)

// MaxCallbacks is the most callbacks one profile may have: 16.
const MaxCallbacks = 16

// MaxSecrets is the most signing secrets a profile keeps during a
// rotation: 3.
const MaxSecrets = 3

func (m *Manager) checkProfile(p Profile) error {
	switch {
	case p.Name == "" || len(p.Name) > MaxTextLength:
		return invalid("name: 1 to %d bytes", MaxTextLength)
	case p.TTL < 0 || p.TTL > MaxTTL:
		return invalid("ttl: 0 (%s) to %s", DefaultTTL, MaxTTL)
	case len(p.Action) > MaxTextLength || len(p.Description) > MaxTextLength:
		return invalid("action and description: at most %d bytes", MaxTextLength)
	case len(p.Callbacks) > MaxCallbacks:
		return invalid("at most %d callbacks", MaxCallbacks)
	}
	if err := checkVars(p.Vars); err != nil {
		return err
	}
	var errs []error
	for i, cb := range p.Callbacks {
		if err := cb.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("callback %d: %w", i, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

// nameCallbacks gives each callback without an ID a new one, and refuses
// an ID used twice.
func (m *Manager) nameCallbacks(cbs []callback.Callback) ([]callback.Callback, error) {
	out := slices.Clone(cbs)
	seen := map[string]bool{}
	for i := range out {
		if out[i].ID == "" {
			id, err := m.randomHex(8)
			if err != nil {
				return nil, err
			}
			out[i].ID = "cb_" + id
		}
		if !token(out[i].ID) {
			return nil, invalid("callback %d: ID %q: want 1 to 128 of A-Z, a-z, 0-9, '-' and '_'", i, out[i].ID)
		}
		if seen[out[i].ID] {
			return nil, invalid("callback %d: ID %q used twice", i, out[i].ID)
		}
		seen[out[i].ID] = true
	}
	return out, nil
}

// CreateProfile validates and stores an authentication profile of an
// application, with a new signing secret when p has none. The returned
// profile holds its Secrets: show them to the administrator once, for the
// receivers to verify deliveries with.
func (m *Manager) CreateProfile(ctx context.Context, p Profile) (Profile, error) {
	if err := m.checkProfile(p); err != nil {
		return Profile{}, err
	}
	var err error
	if p.Callbacks, err = m.nameCallbacks(p.Callbacks); err != nil {
		return Profile{}, err
	}
	if _, err := m.apps.GetApplication(ctx, p.ApplicationID); err != nil {
		return Profile{}, fmt.Errorf("authrequest: application %q: %w", p.ApplicationID, ErrNotFound)
	}
	if len(p.Secrets) == 0 {
		s, err := callback.NewSecret(m.rand)
		if err != nil {
			return Profile{}, err
		}
		p.Secrets = []string{s}
	}
	if len(p.Secrets) > MaxSecrets {
		return Profile{}, invalid("at most %d secrets", MaxSecrets)
	}
	return m.store.CreateProfile(ctx, p)
}

// UpdateProfile validates and replaces a profile's settings and callbacks,
// keeping its secrets.
func (m *Manager) UpdateProfile(ctx context.Context, p Profile) (Profile, error) {
	if err := m.checkProfile(p); err != nil {
		return Profile{}, err
	}
	cur, err := m.store.GetProfile(ctx, p.ID)
	if err != nil {
		return Profile{}, err
	}
	if p.Callbacks, err = m.nameCallbacks(p.Callbacks); err != nil {
		return Profile{}, err
	}
	p.ApplicationID, p.Secrets = cur.ApplicationID, cur.Secrets
	return m.store.UpdateProfile(ctx, p)
}

// RotateSecret puts a new signing secret first in the profile's Secrets,
// keeping the older ones (at most MaxSecrets in all) so that receivers
// can move over while deliveries carry a signature for each; it returns
// the new secret. DropOldSecrets ends the rotation.
func (m *Manager) RotateSecret(ctx context.Context, profileID string) (string, error) {
	p, err := m.store.GetProfile(ctx, profileID)
	if err != nil {
		return "", err
	}
	s, err := callback.NewSecret(m.rand)
	if err != nil {
		return "", err
	}
	p.Secrets = slices.Insert(slices.Clone(p.Secrets), 0, s)[:min(len(p.Secrets)+1, MaxSecrets)]
	if _, err := m.store.UpdateProfile(ctx, p); err != nil {
		return "", err
	}
	return s, nil
}

// DropOldSecrets keeps only the profile's newest secret.
func (m *Manager) DropOldSecrets(ctx context.Context, profileID string) error {
	p, err := m.store.GetProfile(ctx, profileID)
	if err != nil {
		return err
	}
	if len(p.Secrets) > 1 {
		p.Secrets = p.Secrets[:1]
		_, err = m.store.UpdateProfile(ctx, p)
	}
	return err
}

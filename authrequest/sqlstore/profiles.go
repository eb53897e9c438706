package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/database"
)

// profileData is a profile as its data column keeps it, Secrets included.
type profileData struct {
	authrequest.Profile
	Secrets []string `json:"secrets,omitempty"`
}

func encodeProfile(p authrequest.Profile) (string, error) {
	b, err := json.Marshal(profileData{Profile: p, Secrets: p.Secrets})
	if err != nil {
		return "", fmt.Errorf("sqlstore: encode profile: %w", err)
	}
	return string(b), nil
}

func decodeProfile(data string) (authrequest.Profile, error) {
	var d profileData
	if err := json.Unmarshal([]byte(data), &d); err != nil {
		return authrequest.Profile{}, fmt.Errorf("sqlstore: decode profile: %w", err)
	}
	p := d.Profile
	p.Secrets = d.Secrets
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return p, nil
}

// CreateProfile stores p with a new ID; a name taken in the application
// (without regard to case) is authrequest.ErrConflict.
func (s *Store) CreateProfile(ctx context.Context, p authrequest.Profile) (authrequest.Profile, error) {
	if err := s.begin(ctx); err != nil {
		return authrequest.Profile{}, err
	}
	id, now, err := s.newID()
	if err != nil {
		return authrequest.Profile{}, err
	}
	p.ID, p.CreatedAt, p.UpdatedAt = id, now, now
	data, err := encodeProfile(p)
	if err != nil {
		return authrequest.Profile{}, err
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO usher_authrequest_profiles (id, application_id, name, name_key, created_at, updated_at, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, p.ID, p.ApplicationID, p.Name, nameKey(p.Name), nanos(now), nanos(now), data)
		if isUnique(err) {
			return authrequest.ErrConflict
		}
		return err
	})
	if err != nil {
		return authrequest.Profile{}, wrap("create profile", err)
	}
	return p, nil
}

// GetProfile returns the profile, with its Secrets, or
// authrequest.ErrNotFound.
func (s *Store) GetProfile(ctx context.Context, id string) (authrequest.Profile, error) {
	if err := s.begin(ctx); err != nil {
		return authrequest.Profile{}, err
	}
	var data string
	err := s.db.SQL().QueryRowContext(ctx, `SELECT data FROM usher_authrequest_profiles WHERE id = $1`, id).Scan(&data)
	if err != nil {
		return authrequest.Profile{}, wrap("get profile", notFound(err))
	}
	return decodeProfile(data)
}

// UpdateProfile replaces the profile, keeping ID, ApplicationID and
// CreatedAt; a name another profile of the application has is
// authrequest.ErrConflict.
func (s *Store) UpdateProfile(ctx context.Context, p authrequest.Profile) (authrequest.Profile, error) {
	if err := s.begin(ctx); err != nil {
		return authrequest.Profile{}, err
	}
	var out authrequest.Profile
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var data string
		err := tx.QueryRowContext(ctx, `SELECT data FROM usher_authrequest_profiles WHERE id = $1`+s.forUpdate(), p.ID).Scan(&data)
		if err != nil {
			return notFound(err)
		}
		old, err := decodeProfile(data)
		if err != nil {
			return err
		}
		p.ApplicationID, p.CreatedAt = old.ApplicationID, old.CreatedAt
		p.UpdatedAt = s.now().UTC().Round(0)
		if data, err = encodeProfile(p); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE usher_authrequest_profiles SET name = $2, name_key = $3, updated_at = $4, data = $5 WHERE id = $1`,
			p.ID, p.Name, nameKey(p.Name), nanos(p.UpdatedAt), data)
		if isUnique(err) {
			return authrequest.ErrConflict
		}
		out = p
		return err
	})
	if err != nil {
		return authrequest.Profile{}, wrap("update profile", err)
	}
	return out, nil
}

// ListProfiles returns an application's profiles by name.
func (s *Store) ListProfiles(ctx context.Context, applicationID string) ([]authrequest.Profile, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	out, err := database.QueryAll(ctx, s.db.SQL(), func(r *sql.Rows) (authrequest.Profile, error) {
		var data string
		if err := r.Scan(&data); err != nil {
			return authrequest.Profile{}, err
		}
		return decodeProfile(data)
	}, `SELECT data FROM usher_authrequest_profiles WHERE application_id = $1 ORDER BY name_key`+s.collate()+`, id`, applicationID)
	return out, wrap("list profiles", err)
}

// DeleteProfile removes a profile or returns authrequest.ErrNotFound.
func (s *Store) DeleteProfile(ctx context.Context, id string) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	return wrap("delete profile", s.tx(ctx, func(tx *sql.Tx) error {
		return affected(tx.ExecContext(ctx, `DELETE FROM usher_authrequest_profiles WHERE id = $1`, id))
	}))
}

package activation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/usher-sdk/usher/userstore"
)

// Code is a newly created activation code, to be handed to the person.
type Code struct {
	// Code is the code as shown, with hyphens when HyphenEvery is set.
	Code      string
	ExpiresAt time.Time
}

// Create stores a new code for the user and any number of extra name/value
// pairs (compared at activation; names without regard to case, values
// after trimming space), replacing the user's earlier code and any open
// password-set window. Only the code's keyed hash is stored: the returned
// Code is the only copy.
func (m *Manager) Create(ctx context.Context, username string, extra map[string]string) (Code, error) {
	return m.create(ctx, username, extra, false)
}

// create is Create; with exactNames the extra names are kept and compared
// exactly as given (PortalGuard's opaque, case-sensitive names) instead
// of without regard to case.
func (m *Manager) create(ctx context.Context, username string, extra map[string]string, exactNames bool) (Code, error) {
	if !m.settings.Enabled {
		return Code{}, ErrDisabled
	}
	u, err := m.user(ctx, username)
	if err != nil {
		return Code{}, err
	}
	hashes, err := m.hashExtra(u.ID, extra, exactNames)
	if err != nil {
		return Code{}, err
	}
	data, err := json.Marshal(codeData{V: 1, Extra: hashes, ExactNames: exactNames && len(hashes) > 0})
	if err != nil {
		return Code{}, err
	}
	code, err := generateCode(m.rand, m.settings.CodeLength)
	if err != nil {
		return Code{}, err
	}
	now := m.now()
	t := userstore.Token{
		Kind: kindCode, UserID: u.ID, Hash: keyedHash(m.key, "code", u.ID, code),
		Data: data, CreatedAt: now, ExpiresAt: m.expiry(now),
	}
	if err := m.store.DeleteTokens(ctx, kindPassword, u.ID); err != nil {
		return Code{}, fmt.Errorf("activation: create: %w", err)
	}
	if err := m.store.PutToken(ctx, t, true); err != nil {
		return Code{}, fmt.Errorf("activation: create: %w", err)
	}
	m.log.InfoContext(ctx, "activation: code created", "user_id", u.ID, "extra_fields", len(hashes))
	return Code{Code: formatCode(code, m.settings.HyphenEvery), ExpiresAt: t.ExpiresAt}, nil
}

// Delete removes the user's activation data and any open password-set
// window. It returns ErrNoActivationData when there was none.
func (m *Manager) Delete(ctx context.Context, username string) error {
	if !m.settings.Enabled {
		return ErrDisabled
	}
	u, err := m.user(ctx, username)
	if err != nil {
		return err
	}
	codes, err := m.store.UserTokens(ctx, kindCode, u.ID)
	if err != nil {
		return fmt.Errorf("activation: delete: %w", err)
	}
	windows, err := m.store.UserTokens(ctx, kindPassword, u.ID)
	if err != nil {
		return fmt.Errorf("activation: delete: %w", err)
	}
	if len(codes) == 0 && len(windows) == 0 {
		return ErrNoActivationData
	}
	if err := m.deleteAll(ctx, u.ID); err != nil {
		return fmt.Errorf("activation: delete: %w", err)
	}
	m.log.InfoContext(ctx, "activation: data deleted", "user_id", u.ID)
	return nil
}

func (m *Manager) deleteAll(ctx context.Context, userID string) error {
	return errors.Join(
		m.store.DeleteTokens(ctx, kindCode, userID),
		m.store.DeleteTokens(ctx, kindPassword, userID),
	)
}

// user finds a user by username, mapping "not found" to ErrUserNotFound.
func (m *Manager) user(ctx context.Context, username string) (userstore.User, error) {
	if strings.TrimSpace(username) == "" {
		return userstore.User{}, fmt.Errorf("%w: empty username", ErrInvalidInput)
	}
	u, err := m.store.GetUserByUsername(ctx, username)
	if errors.Is(err, userstore.ErrNotFound) {
		return u, ErrUserNotFound
	}
	if err != nil {
		return u, fmt.Errorf("activation: finding user: %w", err)
	}
	return u, nil
}

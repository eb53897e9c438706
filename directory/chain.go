package directory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/usher-sdk/usher/userstore"
)

// ChainStore is what a Chain needs of the user store. A userstore.Store
// has all of it.
type ChainStore interface {
	GetUserByUsername(ctx context.Context, username string) (userstore.User, error)
	GetUserByExternalID(ctx context.Context, source, externalID string) (userstore.User, error)
	CreateUser(ctx context.Context, u userstore.User) (userstore.User, error)
	SetUserGroups(ctx context.Context, userID string, groups []string) error
}

// LocalLogin checks the password of a user who lives only in the user
// store (no Source), for example with a userstore.Service's login. It
// returns userstore.ErrInvalidCredentials for every refusal.
type LocalLogin func(ctx context.Context, login, password string) (userstore.User, error)

// ChainConfig configures a Chain.
type ChainConfig struct {
	// Sources are asked in order, after the user store. A source that is
	// not a PasswordSource can only refuse its users (see
	// Chain.Authenticate); it still claims their logins.
	Sources []Source
	// AutoCreate creates a user found in a source in the user store, so that
	// the user exists there from the first login on.
	AutoCreate bool
	// Local checks users of the store that came from no source. Nil
	// refuses them.
	Local LocalLogin
	// Logger receives the true reason of every refusal. Default: discard.
	Logger *slog.Logger
}

// Chain looks a login up in the user store first and then in each source in
// order (Notakey's lookup order), authenticates the password where the
// user lives, and creates users found in a source when AutoCreate is on.
// It is safe for concurrent use.
type Chain struct {
	store   ChainStore
	sources []Source
	byName  map[string]Source
	cfg     ChainConfig
	log     *slog.Logger
}

// NewChain returns a chain over store. Source names must be unique.
func NewChain(store ChainStore, cfg ChainConfig) (*Chain, error) {
	if store == nil {
		return nil, errors.New("directory: NewChain: nil store")
	}
	c := &Chain{store: store, byName: map[string]Source{}, cfg: cfg, log: cfg.Logger}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	for i, s := range cfg.Sources {
		if s == nil || s.Name() == "" {
			return nil, fmt.Errorf("directory: NewChain: source %d is nil or has no name", i)
		}
		if _, dup := c.byName[s.Name()]; dup {
			return nil, fmt.Errorf("directory: NewChain: two sources are named %q", s.Name())
		}
		c.byName[s.Name()] = s
		c.sources = append(c.sources, s)
	}
	return c, nil
}

// Authenticate finds login and checks its password:
//
//   - A user in the store that came from a source is checked against that
//     source; one that came from no source goes to ChainConfig.Local.
//   - Otherwise each source is asked in order, and the first that knows the
//     login decides: a wrong password there is final, later sources are
//     not asked. With AutoCreate the user is then created in the store
//     (with its groups); without it the returned User has no ID.
//   - A source that cannot check passwords (it is not a [PasswordSource],
//     like the Graph source) is asked only whether it knows the login
//     ([Source.Lookup]). If it does, it decides, and its answer is always
//     a refusal: later sources are not asked, so that none of them signs
//     in a different person under the same login. A stored user of such a
//     source is refused too, after a Lookup in that source, so that the
//     refusal takes a trip to the source as a wrong password there does.
//     Such users sign in some other way (for Azure AD, with OIDC).
//
// Every refusal — unknown user, wrong password, disabled user, empty
// password — returns userstore.ErrInvalidCredentials, and an unknown login
// is checked against every source as a wrong one is, so that the answer
// and its time say nothing about whether the user exists. The true reason
// is logged. A source that cannot be reached gives an error wrapping
// ErrUnavailable instead: the chain does not skip it, since a later source
// could hold a different person with the same login.
func (c *Chain) Authenticate(ctx context.Context, login, password string) (userstore.User, error) {
	login = strings.TrimSpace(login)
	if login == "" || password == "" {
		c.refuse(ctx, "empty login or password")
		return userstore.User{}, userstore.ErrInvalidCredentials
	}
	u, err := c.store.GetUserByUsername(ctx, login)
	switch {
	case err == nil:
		return c.authenticateStored(ctx, u, login, password)
	case !errors.Is(err, userstore.ErrNotFound):
		return userstore.User{}, fmt.Errorf("directory: chain: %w", err)
	}

	for _, src := range c.sources {
		ps, checks := src.(PasswordSource)
		if checks {
			e, ok, err := ps.Authenticate(ctx, login, password)
			if err != nil {
				return userstore.User{}, fmt.Errorf("directory: chain: source %q: %w", src.Name(), err)
			}
			if ok {
				return c.accept(ctx, src, e, login)
			}
		}
		// Refused, or not checked here: does this source know the login?
		// Then its answer is final.
		if _, err := src.Lookup(ctx, login); err == nil {
			c.refuse(ctx, refusedBy(src, checks))
			return userstore.User{}, userstore.ErrInvalidCredentials
		} else if !errors.Is(err, ErrNotFound) {
			return userstore.User{}, fmt.Errorf("directory: chain: source %q: %w", src.Name(), err)
		}
	}
	c.refuse(ctx, "unknown in the store and in every source")
	return userstore.User{}, userstore.ErrInvalidCredentials
}

// authenticateStored checks a user the store knows.
func (c *Chain) authenticateStored(ctx context.Context, u userstore.User, login, password string) (userstore.User, error) {
	if u.Source == "" {
		if c.cfg.Local == nil {
			c.refuse(ctx, "local user and no local login configured")
			return userstore.User{}, userstore.ErrInvalidCredentials
		}
		return c.cfg.Local(ctx, login, password)
	}
	src, known := c.byName[u.Source]
	if !known {
		c.refuse(ctx, "the user's source "+u.Source+" is not in the chain")
		return userstore.User{}, userstore.ErrInvalidCredentials
	}
	ps, checks := src.(PasswordSource)
	if !checks {
		// Refused whatever the password, after the trip to the source that
		// a check there would take.
		if _, err := src.Lookup(ctx, login); err != nil && !errors.Is(err, ErrNotFound) {
			return userstore.User{}, fmt.Errorf("directory: chain: source %q: %w", src.Name(), err)
		}
		c.refuse(ctx, refusedBy(src, false))
		return userstore.User{}, userstore.ErrInvalidCredentials
	}
	e, ok, err := ps.Authenticate(ctx, login, password)
	if err != nil {
		return userstore.User{}, fmt.Errorf("directory: chain: source %q: %w", src.Name(), err)
	}
	if !ok {
		// The Lookup that a refusal of a user the store does not know
		// makes (Authenticate, above), so that both take the same trips.
		if _, err := src.Lookup(ctx, login); err != nil && !errors.Is(err, ErrNotFound) {
			return userstore.User{}, fmt.Errorf("directory: chain: source %q: %w", src.Name(), err)
		}
		c.refuse(ctx, refusedBy(src, true))
		return userstore.User{}, userstore.ErrInvalidCredentials
	}
	if !e.Enabled || !u.Enabled {
		c.refuse(ctx, "disabled")
		return userstore.User{}, userstore.ErrInvalidCredentials
	}
	return u, nil
}

// accept returns (and with AutoCreate stores) the user a source vouched for.
func (c *Chain) accept(ctx context.Context, src Source, e Entry, login string) (userstore.User, error) {
	if !e.Enabled {
		c.refuse(ctx, "disabled in source "+src.Name())
		return userstore.User{}, userstore.ErrInvalidCredentials
	}
	e.Source = src.Name()
	u := userFromEntry(e)
	if u.Username == "" {
		u.Username = login
	}
	if !c.cfg.AutoCreate {
		return u, nil
	}
	if e.ExternalID != "" {
		// Known under another login (renamed, or first seen by e-mail).
		if stored, err := c.store.GetUserByExternalID(ctx, e.Source, e.ExternalID); err == nil {
			return c.enabled(ctx, stored, login)
		} else if !errors.Is(err, userstore.ErrNotFound) {
			return userstore.User{}, fmt.Errorf("directory: chain: %w", err)
		}
	}
	created, err := c.store.CreateUser(ctx, u)
	if errors.Is(err, userstore.ErrConflict) && e.ExternalID != "" {
		// A concurrent first login created it.
		if stored, gerr := c.store.GetUserByExternalID(ctx, e.Source, e.ExternalID); gerr == nil {
			return c.enabled(ctx, stored, login)
		}
	}
	if err != nil {
		return userstore.User{}, fmt.Errorf("directory: chain: creating %q from source %q: %w", u.Username, e.Source, err)
	}
	if len(e.Groups) > 0 {
		if err := c.store.SetUserGroups(ctx, created.ID, e.Groups); err != nil {
			return userstore.User{}, fmt.Errorf("directory: chain: groups of %q: %w", u.Username, err)
		}
		created.Groups = append([]string(nil), e.Groups...)
	}
	c.log.InfoContext(ctx, "directory: user created from source", "source", e.Source, "user_id", created.ID)
	return created, nil
}

// enabled returns u, or refuses it when an admin disabled it in the store.
func (c *Chain) enabled(ctx context.Context, u userstore.User, login string) (userstore.User, error) {
	if !u.Enabled {
		c.refuse(ctx, "disabled in the user store")
		return userstore.User{}, userstore.ErrInvalidCredentials
	}
	return u, nil
}

// refusedBy is the logged reason when src, which knows the login, refuses
// it; checks says whether src checked the password.
func refusedBy(src Source, checks bool) string {
	if !checks {
		return "source " + src.Name() + " cannot check passwords"
	}
	return "wrong password or out of scope in source " + src.Name()
}

func (c *Chain) refuse(ctx context.Context, reason string) {
	c.log.InfoContext(ctx, "directory: login refused", "reason", reason)
}

// userFromEntry maps a source entry onto a new store user: username,
// corporate e-mail (the personal one when there is none), phone, full
// name, enabled state, source and external ID; the personal e-mail goes
// to the AttrPersonalEmail attribute. Groups are set separately
// (userstore.GroupStore.SetUserGroups); roles go to the "roles" attribute,
// comma-separated.
func userFromEntry(e Entry) userstore.User {
	u := userstore.User{
		Username:    e.Username,
		Email:       e.CorporateEmail,
		Phone:       e.Phone,
		DisplayName: e.FullName,
		Enabled:     e.Enabled,
		Source:      e.Source,
		ExternalID:  e.ExternalID,
	}
	if u.Email == "" {
		u.Email = e.PersonalEmail
	}
	if u.Username == "" {
		u.Username = u.Email
	}
	if e.PersonalEmail != "" {
		u.Attributes = map[string]string{AttrPersonalEmail: e.PersonalEmail}
	}
	if len(e.Roles) > 0 {
		if u.Attributes == nil {
			u.Attributes = map[string]string{}
		}
		u.Attributes[AttrRoles] = strings.Join(e.Roles, ",")
	}
	return u
}

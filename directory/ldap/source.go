package ldap

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/usher-sdk/usher/directory"
)

// Source reads users from an LDAP directory or Active Directory. It is a
// directory.Source, directory.PasswordSource, directory.ChangeSource and
// directory.GroupSource, safe for concurrent use. Close it when done.
type Source struct {
	cfg   Config
	attrs []string
	log   *slog.Logger
	tls   *tls.Config
	// conns are bound as the service account; binds are for user binds
	// only, so that a user's bind never changes what a search sees.
	conns, binds *pool
	now          func() time.Time

	info    cached[serverInfo]
	csn     cached[bool] // the server keeps entryCSN (keepsCSN)
	scope   cached[string]
	groups  cached[*groupGraph]
	primary primaryGroups
	refusal refusalTimer // wrong-password refusals of Authenticate
	lookups refusalTimer // Lookups that found their user
}

// New checks cfg, applies its defaults and returns a Source. It reads
// RootCAFile but does not contact the server: the first connection is made
// on first use. Every problem of cfg is reported at once.
func New(cfg Config, opts ...Option) (*Source, error) {
	c := cfg.withDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	tc, err := c.tlsConfig()
	if err != nil {
		return nil, err
	}
	s := &Source{cfg: c, attrs: c.userAttributes(), log: slog.New(slog.DiscardHandler), tls: tc, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	var bind func(*goldap.Conn) error
	if c.BindDN != "" {
		bind = func(conn *goldap.Conn) error {
			if err := conn.Bind(c.BindDN, c.BindPassword); err != nil {
				if isNetwork(err) {
					return unavailable("service bind", err)
				}
				// A rejected service account is a configuration fault
				// that makes the source unusable.
				return fmt.Errorf("ldap: service bind as %q: %w: %w", c.BindDN, directory.ErrUnavailable, err)
			}
			return nil
		}
	}
	s.conns = newPool(c, tc, bind)
	s.binds = newPool(c, tc, nil)
	return s, nil
}

var (
	_ directory.Source         = (*Source)(nil)
	_ directory.PasswordSource = (*Source)(nil)
	_ directory.ChangeSource   = (*Source)(nil)
	_ directory.GroupSource    = (*Source)(nil)
)

// Name returns Config.Name.
func (s *Source) Name() string { return s.cfg.Name }

// Config returns the configuration with its defaults applied.
func (s *Source) Config() Config { return s.cfg }

// Attributes returns the attributes Users and Lookup ask for: the mapped
// ones, the login attributes and those the source reads for itself. In
// LDAP mode pwdAccountLockedTime is among them unless the source has found
// that the server lacks ppolicy (it checks the root DSE at its first
// search). Changes asks for modifyTimestamp or entryCSN (uSNChanged in
// Active Directory mode) too.
func (s *Source) Attributes() []string {
	info, ok := s.info.peek()
	if !ok {
		info.ppolicy = true
	}
	return s.queryAttrs(info)
}

// Close closes the idle connections. Call it when no method is running.
func (s *Source) Close() error {
	s.conns.close()
	s.binds.close()
	return nil
}

// Users streams every user in scope, one page (Config.PageSize entries)
// in memory at a time.
func (s *Source) Users(ctx context.Context) iter.Seq2[directory.Entry, error] {
	return s.users(ctx, "Users", "")
}

// users streams the users in scope that also match extra, asking for
// more attributes besides the usual ones.
func (s *Source) users(ctx context.Context, op, extra string, more ...string) iter.Seq2[directory.Entry, error] {
	return func(yield func(directory.Entry, error) bool) {
		scope, err := s.scopeFilter(ctx)
		if err != nil {
			yield(directory.Entry{}, err)
			return
		}
		m, err := s.mapper(ctx)
		if err != nil {
			yield(directory.Entry{}, err)
			return
		}
		stopped := false
		var mapErr error
		err = s.search(ctx, query{op: op, base: s.cfg.BaseDN, filter: and(scope, extra), attrs: s.queryAttrs(m.info, more...), paged: true},
			func(e *goldap.Entry) bool {
				de, err := m.entry(ctx, e)
				if err != nil {
					mapErr = err
					return false
				}
				if !yield(de, nil) {
					stopped = true
					return false
				}
				return true
			})
		if err == nil {
			err = mapErr
		}
		if err != nil && !stopped {
			yield(directory.Entry{}, err)
		}
	}
}

// Lookup returns the user in scope who signs in as login (see
// Config.LoginAttributes, and in Active Directory mode the account name
// forms of Config.ActiveDirectory), or an error wrapping
// directory.ErrNotFound. A login that matches more than one entry is not
// found either. A disabled, expired or locked-out user is found, with
// Enabled false. It makes one search: what it needs about groups and the
// server is kept for Config.GroupRefresh.
//
// As a chain asks Lookup after a refused password whether the source knows
// the login, every Lookup is answered no sooner than the 75th percentile
// of the recent Lookups that found their user (see timing.go).
func (s *Source) Lookup(ctx context.Context, login string) (directory.Entry, error) {
	start := time.Now()
	e, m, err := s.find(ctx, login)
	if errors.Is(err, directory.ErrNotFound) {
		s.lookups.pad(ctx, start)
	}
	if err != nil {
		return directory.Entry{}, err
	}
	de, err := m.entry(ctx, e)
	if err == nil {
		s.lookups.add(time.Since(start))
		s.lookups.pad(ctx, start)
	}
	return de, err
}

// find returns the one entry in scope for login, and the mapper for it.
func (s *Source) find(ctx context.Context, login string) (*goldap.Entry, *mapper, error) {
	lf, ok := s.loginFilter(login)
	if !ok {
		return nil, nil, fmt.Errorf("ldap: %w", directory.ErrNotFound)
	}
	scope, err := s.scopeFilter(ctx)
	if err != nil {
		return nil, nil, err
	}
	m, err := s.mapper(ctx)
	if err != nil {
		return nil, nil, err
	}
	var found []*goldap.Entry
	err = s.search(ctx, query{op: "Lookup", base: s.cfg.BaseDN, filter: and(scope, lf), attrs: s.queryAttrs(m.info), sizeLimit: 2},
		func(e *goldap.Entry) bool { found = append(found, e); return true })
	if err != nil {
		return nil, nil, err
	}
	switch len(found) {
	case 1:
		return found[0], m, nil
	case 0:
		return nil, nil, fmt.Errorf("ldap: %w", directory.ErrNotFound)
	default:
		s.log.WarnContext(ctx, "ldap: login matches more than one entry; treated as unknown", "source", s.cfg.Name, "entries", len(found))
		return nil, nil, fmt.Errorf("ldap: %w (the login is ambiguous)", directory.ErrNotFound)
	}
}

// Authenticate checks login's password by binding as the user on a
// connection of its own, after finding the user's DN with the service
// account. An empty password is refused before anything is sent. A wrong
// password, an unknown or out-of-scope user, a disabled, expired or
// locked-out user and an account the server refuses (for example locked by
// ppolicy) all give ok false and a nil error. err is only for
// infrastructure faults, and wraps directory.ErrUnavailable when the
// server could not be reached.
//
// A refusal takes as long whether or not the user exists: an unknown or
// out-of-scope login is refused after a bind as a DN that does not exist,
// and every refusal no sooner than the 75th percentile of the source's
// recent wrong-password refusals for real accounts (see timing.go for why
// padding rather than a decoy account).
func (s *Source) Authenticate(ctx context.Context, login, password string) (directory.Entry, bool, error) {
	if password == "" {
		s.refused(ctx, "empty password")
		return directory.Entry{}, false, nil
	}
	start := time.Now()
	e, m, err := s.find(ctx, login)
	if err != nil && !errors.Is(err, directory.ErrNotFound) {
		return directory.Entry{}, false, err
	}
	if e == nil {
		if _, err := s.bind(ctx, "cn=usher-no-such-user,"+s.cfg.BaseDN, password); err != nil {
			return directory.Entry{}, false, err
		}
		s.refusal.pad(ctx, start)
		s.refused(ctx, "unknown or out-of-scope user")
		return directory.Entry{}, false, nil
	}
	entry, err := m.entry(ctx, e)
	if err != nil {
		return directory.Entry{}, false, err
	}
	ok, err := s.bind(ctx, e.DN, password)
	if err != nil {
		return directory.Entry{}, false, err
	}
	switch {
	case !ok && entry.Enabled:
		// The reference: what a wrong password costs.
		s.refusal.add(time.Since(start))
		s.refusal.pad(ctx, start)
		s.refused(ctx, "bind refused (wrong password, or the server refuses the account)")
	case !entry.Enabled:
		// The DC refuses a disabled, expired or locked-out account sooner
		// than a wrong password.
		s.refusal.pad(ctx, start)
		s.refused(ctx, "disabled, expired or locked-out account")
	default:
		return entry, true, nil
	}
	return directory.Entry{}, false, nil
}

func (s *Source) refused(ctx context.Context, reason string) {
	s.log.InfoContext(ctx, "ldap: login refused", "source", s.cfg.Name, "reason", reason)
}

// bind binds as dn with password on a user-bind connection. ok is false
// when the server refuses the credentials.
func (s *Source) bind(ctx context.Context, dn, password string) (bool, error) {
	for attempt := 0; ; attempt++ {
		c, reused, err := s.binds.get(ctx)
		if err != nil {
			return false, s.ctxErr(ctx, classify("user bind", err))
		}
		err = c.Bind(dn, password)
		broken := isNetwork(err) || (err != nil && c.IsClosing())
		s.binds.put(c, broken)
		switch {
		case err == nil:
			return true, nil
		case broken && reused && attempt == 0 && ctx.Err() == nil:
			continue
		case broken:
			return false, s.ctxErr(ctx, unavailable("user bind", err))
		default:
			// invalidCredentials (also ppolicy's locked accounts and AD's
			// sub-codes), unwillingToPerform, constraint violations ...:
			// the server refuses this user; nothing is wrong with it.
			var le *goldap.Error
			if errors.As(err, &le) {
				s.log.DebugContext(ctx, "ldap: user bind refused", "source", s.cfg.Name, "code", le.ResultCode)
			}
			return false, nil
		}
	}
}

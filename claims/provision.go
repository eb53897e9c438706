package claims

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/mail"
	"slices"
	"strconv"
	"strings"

	"github.com/usher-sdk/usher/userstore"
	usermail "github.com/usher-sdk/usher/userstore/mail"
)

// UserStore is what a Provisioner needs of a user store; every
// userstore.Store has it.
type UserStore interface {
	GetUserByExternalID(ctx context.Context, source, externalID string) (userstore.User, error)
	CreateUser(ctx context.Context, u userstore.User) (userstore.User, error)
	UpdateUser(ctx context.Context, u userstore.User) (userstore.User, error)
}

// Audit kinds a Provisioner records when its store keeps an audit trail
// (has AppendAudit, as every userstore.Store does).
const (
	AuditProvisioned userstore.AuditKind = "claims.provisioned" // a first sign-in created the user
	AuditUpdated     userstore.AuditKind = "claims.updated"     // a sign-in changed mapped fields or roles
	AuditRefused     userstore.AuditKind = "claims.refused"     // registration closed, or the user is inactive
)

// auditor is the optional audit trail of a UserStore.
type auditor interface {
	AppendAudit(ctx context.Context, e userstore.AuditEvent) error
}

// Mailer sends the mail that tells administrators about a new user;
// every userstore/mail.Sender is one. Implementations are safe for
// concurrent use.
type Mailer interface {
	Send(ctx context.Context, m usermail.Message) error
}

// ProvisionConfig configures just-in-time provisioning. The zero value
// provisions nobody new: it only updates users that exist.
type ProvisionConfig struct {
	// SelfRegistration lets a first sign-in create its user. Without it, a
	// user the store does not hold is refused with ErrRegistrationClosed.
	SelfRegistration bool `json:"selfRegistration,omitempty"`
	// ActiveByDefault creates new users enabled. Without it they are
	// disabled until an administrator enables them, and their sign-ins
	// are refused with ErrInactive meanwhile.
	ActiveByDefault bool `json:"activeByDefault,omitempty"`
	// Administrators is a comma-separated list of the addresses told
	// about every user created. Empty: nobody is told.
	Administrators string `json:"administrators,omitempty"`
	// From is the sender of that mail; empty uses the Mailer's default.
	From string `json:"from,omitempty"`
}

// ProvisionOption sets a dependency of a Provisioner.
type ProvisionOption func(*Provisioner)

// WithMailer sets the Mailer for the administrators' mail. Default none:
// with Administrators set, New refuses to go without one.
func WithMailer(m Mailer) ProvisionOption { return func(p *Provisioner) { p.mailer = m } }

// WithProvisionLogger sets the logger. Default: discard.
func WithProvisionLogger(l *slog.Logger) ProvisionOption {
	return func(p *Provisioner) {
		if l != nil {
			p.log = l
		}
	}
}

// Provisioner creates and updates users from verified sign-ins, and
// records what it did (AuditProvisioned, AuditUpdated, AuditRefused) in
// the store's audit trail when it has one. Make it with NewProvisioner;
// it is safe for concurrent use.
type Provisioner struct {
	store  UserStore
	cfg    ProvisionConfig
	admins []string
	mailer Mailer
	log    *slog.Logger
}

// NewProvisioner checks cfg and returns a Provisioner on store.
func NewProvisioner(store UserStore, cfg ProvisionConfig, opts ...ProvisionOption) (*Provisioner, error) {
	var errs []error
	if store == nil {
		errs = append(errs, errors.New("claims: nil user store"))
	}
	p := &Provisioner{store: store, cfg: cfg, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(p)
	}
	for a := range strings.SplitSeq(cfg.Administrators, ",") {
		if a = strings.TrimSpace(a); a == "" {
			continue
		}
		addr, err := mail.ParseAddress(a)
		if err != nil {
			errs = append(errs, fmt.Errorf("claims: ProvisionConfig.Administrators: %q is not an address", a))
			continue
		}
		p.admins = append(p.admins, addr.Address)
	}
	if len(p.admins) > 0 && p.mailer == nil {
		errs = append(errs, errors.New("claims: ProvisionConfig.Administrators is set but there is no Mailer (WithMailer)"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return p, nil
}

// maxWriteAttempts bounds the retries of an update that raced another.
const maxWriteAttempts = 5

// Provision finds the user of a verified sign-in by (User.Source,
// User.ExternalID) and brings it up to date with the mapped fields and
// roles, or creates it when SelfRegistration allows (enabled when
// ActiveByDefault, and the administrators are mailed). It returns the
// stored user and whether it was created. A user that is not enabled
// is stored but refused: the error matches ErrInactive (and ErrRefused).
//
// Only the fields the mapping filled are written: an empty mapped value
// leaves the stored one, attributes are merged, and the roles are
// replaced by the mapped roles at every sign-in when the mapping gives
// roles (Identity.RolesMapped); otherwise the stored roles stay.
//
// A user is never linked to an existing account by username or e-mail (that
// would let a provider take over a local account): when the mapped
// username belongs to another user, Provision fails with an error matching
// userstore.ErrConflict.
func (p *Provisioner) Provision(ctx context.Context, id Identity) (userstore.User, bool, error) {
	in := id.User
	if in.Source == "" || in.ExternalID == "" {
		return userstore.User{}, false, errors.New("claims: Provision needs an Identity with User.Source and User.ExternalID")
	}
	for range maxWriteAttempts {
		u, err := p.store.GetUserByExternalID(ctx, in.Source, in.ExternalID)
		if errors.Is(err, userstore.ErrNotFound) {
			if !p.cfg.SelfRegistration {
				p.audit(ctx, AuditRefused, "", in, "registration closed", nil)
				return userstore.User{}, false, refuse(ErrRegistrationClosed, "")
			}
			nu := in
			nu.ID, nu.PasswordHash, nu.Groups = "", "", nil
			nu.Enabled = p.cfg.ActiveByDefault
			created, err := p.store.CreateUser(ctx, nu)
			if errors.Is(err, userstore.ErrConflict) {
				if _, gerr := p.store.GetUserByExternalID(ctx, in.Source, in.ExternalID); gerr == nil {
					continue // created meanwhile by a concurrent first sign-in
				}
			}
			if err != nil {
				return userstore.User{}, false, fmt.Errorf("claims: create user: %w", err)
			}
			p.log.InfoContext(ctx, "claims: user provisioned", "user_id", created.ID, "source", created.Source, "enabled", created.Enabled)
			p.audit(ctx, AuditProvisioned, created.ID, in, "", map[string]string{
				"source": created.Source, "enabled": strconv.FormatBool(created.Enabled), "roles": strings.Join(created.Roles, ","),
			})
			p.tell(ctx, created)
			if !created.Enabled {
				p.audit(ctx, AuditRefused, created.ID, in, "inactive", nil)
				return created, true, refuse(ErrInactive, "new users wait for an administrator's activation")
			}
			return created, true, nil
		}
		if err != nil {
			return userstore.User{}, false, fmt.Errorf("claims: find user: %w", err)
		}
		next, changed := merge(u, in, id.RolesMapped)
		if changed {
			next, err = p.store.UpdateUser(ctx, next)
			if errors.Is(err, userstore.ErrVersionConflict) {
				continue
			}
			if err != nil {
				return userstore.User{}, false, fmt.Errorf("claims: update user: %w", err)
			}
			p.audit(ctx, AuditUpdated, next.ID, in, "", map[string]string{"roles": strings.Join(next.Roles, ",")})
		}
		if !next.Enabled {
			p.audit(ctx, AuditRefused, next.ID, in, "inactive", nil)
			return next, false, refuse(ErrInactive, "")
		}
		return next, false, nil
	}
	return userstore.User{}, false, fmt.Errorf("claims: user changed by others %d times in a row: %w", maxWriteAttempts, userstore.ErrVersionConflict)
}

// merge writes the mapped fields of in over u, and its roles when
// withRoles.
func merge(u, in userstore.User, withRoles bool) (userstore.User, bool) {
	out := u
	for _, f := range []struct {
		dst *string
		v   string
	}{
		{&out.Username, in.Username}, {&out.Email, in.Email}, {&out.Phone, in.Phone},
		{&out.DisplayName, in.DisplayName}, {&out.GivenName, in.GivenName}, {&out.FamilyName, in.FamilyName},
	} {
		if f.v != "" {
			*f.dst = f.v
		}
	}
	if in.Email != "" && in.Email == out.Email {
		out.EmailVerified = in.EmailVerified
	}
	if len(in.Attributes) > 0 {
		out.Attributes = maps.Clone(u.Attributes)
		if out.Attributes == nil {
			out.Attributes = map[string]string{}
		}
		maps.Copy(out.Attributes, in.Attributes)
	}
	if withRoles {
		out.Roles = normRoles(in.Roles)
	}
	changed := out.Username != u.Username || out.Email != u.Email || out.Phone != u.Phone ||
		out.DisplayName != u.DisplayName || out.GivenName != u.GivenName || out.FamilyName != u.FamilyName ||
		out.EmailVerified != u.EmailVerified || !maps.Equal(out.Attributes, u.Attributes) ||
		!slices.Equal(out.Roles, normRoles(u.Roles))
	return out, changed
}

// audit records an event when the store keeps an audit trail; a failure
// to record is logged.
func (p *Provisioner) audit(ctx context.Context, kind userstore.AuditKind, userID string, in userstore.User, reason string, detail map[string]string) {
	a, ok := p.store.(auditor)
	if !ok {
		return
	}
	e := userstore.AuditEvent{Kind: kind, UserID: userID, Login: in.Username, Reason: reason, Detail: detail}
	if e.Detail == nil {
		e.Detail = map[string]string{}
	}
	e.Detail["external_id"] = in.ExternalID
	if err := a.AppendAudit(ctx, e); err != nil {
		p.log.ErrorContext(ctx, "claims: audit event not recorded", "kind", string(kind), "user_id", userID, "err", err)
	}
}

// tell mails the administrators about a new user. A failure is logged,
// not returned: the user exists either way.
func (p *Provisioner) tell(ctx context.Context, u userstore.User) {
	if len(p.admins) == 0 {
		return
	}
	state := "disabled until you enable it"
	if u.Enabled {
		state = "enabled"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "A user signed in for the first time through %s and was created (%s).\n\n", u.Source, state)
	fmt.Fprintf(&b, "ID: %s\nUsername: %s\nName: %s\nE-mail: %s\n", u.ID, u.Username, strings.TrimSpace(u.GivenName+" "+u.FamilyName), u.Email)
	if len(u.Roles) > 0 {
		fmt.Fprintf(&b, "Roles: %s\n", strings.Join(u.Roles, ", "))
	}
	m := usermail.Message{From: p.cfg.From, To: slices.Clone(p.admins), Subject: "New user: " + u.Username, Text: b.String()}
	if err := p.mailer.Send(ctx, m); err != nil {
		p.log.WarnContext(ctx, "claims: mail to the administrators failed", "user_id", u.ID, "err", err)
	}
}

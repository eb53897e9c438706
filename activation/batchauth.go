package activation

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/usher-sdk/usher/userstore"
)

// Authenticator checks a batch admin's password for the batch handlers.
//
// A check must not count towards the account's lock-out: batch admins are
// service accounts, and if wrong passwords from anyone who can reach a
// batch handler locked the account, a few of them would stop the import
// pipeline. The Manager throttles wrong attempts itself, per client
// address (Settings.BatchAdminMaxFailures), and audits them
// (AuditBatchAdminFailed), so an Authenticator only says whether the
// password is right. Over a userstore.Service, use ServiceAuthenticator.
//
// ok reports whether the password is right; a wrong password or an
// unknown, disabled or locked user is false with a nil error. err is only
// for a failure to check (a store that does not answer): the request is
// then refused as an internal error, and not counted as a wrong attempt.
// The Manager calls it for every username, batch admin or not, and
// decides membership itself. It must be safe for concurrent use.
type Authenticator interface {
	AuthenticateBatchAdmin(ctx context.Context, username, password, remote string) (ok bool, err error)
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(ctx context.Context, username, password, remote string) (bool, error)

// AuthenticateBatchAdmin calls f.
func (f AuthenticatorFunc) AuthenticateBatchAdmin(ctx context.Context, username, password, remote string) (bool, error) {
	return f(ctx, username, password, remote)
}

// ServiceAuthenticator is the Authenticator over a userstore.Service. It
// checks passwords with Service.Login, which counts wrong passwords and
// locks the account unless the Service is read-only; so it takes only a
// read-only Service (userstore.Config.ReadOnly), made over the same store
// with the pool's other settings. That one verifies the password and
// records nothing: no failed-login count, no lock, no audit event (the
// Manager writes its own), no rehash.
//
// A read-only Service still honours a lock already stored: if the batch
// admin's account is locked by wrong passwords typed at the pool's own
// login, the batch handlers refuse it too until the lock ends. Refuse
// batch admins at the application's own login form (userstore cannot yet
// exempt an account from its lock-out).
//
// A user who must change the password is refused. It is safe for
// concurrent use.
type ServiceAuthenticator struct {
	svc *userstore.Service
}

// NewServiceAuthenticator returns the Authenticator over svc, which must
// be read-only (userstore.Config.ReadOnly): a read-write Service would
// count the wrong passwords of the batch handlers and lock the account.
func NewServiceAuthenticator(svc *userstore.Service) (*ServiceAuthenticator, error) {
	if svc == nil {
		return nil, errors.New("activation: NewServiceAuthenticator: nil Service")
	}
	if !svc.Config().ReadOnly {
		return nil, errors.New("activation: NewServiceAuthenticator: the Service must be read-only " +
			"(userstore.Config.ReadOnly): a read-write one counts wrong batch-admin passwords and locks the account")
	}
	return &ServiceAuthenticator{svc: svc}, nil
}

// AuthenticateBatchAdmin checks username and password with the read-only
// Service's Login.
func (a *ServiceAuthenticator) AuthenticateBatchAdmin(ctx context.Context, username, password, remote string) (bool, error) {
	_, err := a.svc.Login(ctx, userstore.LoginRequest{Login: username, Password: password, Remote: remote})
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, userstore.ErrInvalidCredentials), errors.Is(err, userstore.ErrPasswordChangeRequired):
		return false, nil
	default:
		return false, fmt.Errorf("activation: checking a batch admin: %w", err)
	}
}

// errBatchRefused is checkBatchAdmin's refusal; the handlers answer it
// as a bad batch admin, whatever the reason.
var errBatchRefused = errors.New("activation: batch admin refused")

// checkBatchAdmin checks that username is a configured batch admin whose
// password is right. It returns nil when so, errBatchRefused when not,
// and another error when the Authenticator could not check.
//
// A request without credentials is refused without more ado. An address
// the throttle blocks is refused without the password being checked. The
// password is checked for every other username, so that the answer takes
// as long for a non-admin as for an admin; membership is decided after.
// Every wrong and every throttled attempt is audited
// (AuditBatchAdminFailed) and logged at Info, without what was typed.
func (m *Manager) checkBatchAdmin(ctx context.Context, username, password, remote string) error {
	if m.auth == nil || username == "" || password == "" {
		return errBatchRefused
	}
	key := throttleKey(remote)
	ok, until := m.batch.begin(key, m.now())
	if !ok {
		var detail map[string]string
		if !until.IsZero() {
			detail = map[string]string{"blockedUntil": until.UTC().Format(time.RFC3339)}
		}
		m.auditBatchAdmin(ctx, username, remote, ReasonThrottled, detail)
		m.log.InfoContext(ctx, "activation: batch admin attempt throttled", "remote", remote, "reason", ReasonThrottled)
		return errBatchRefused
	}
	valid, err := m.auth.AuthenticateBatchAdmin(ctx, username, password, remote)
	if err != nil {
		m.batch.release(key)
		return err
	}
	reason := ReasonBatchAdminRefused
	if valid {
		if m.isBatchAdmin(username) {
			m.batch.succeed(key)
			return nil
		}
		reason = ReasonNotBatchAdmin
	}
	failures, blockedUntil := m.batch.fail(key, m.now())
	detail := map[string]string{"failures": strconv.Itoa(failures)}
	if !blockedUntil.IsZero() {
		detail["blockedUntil"] = blockedUntil.UTC().Format(time.RFC3339)
	}
	m.auditBatchAdmin(ctx, username, remote, reason, detail)
	m.log.InfoContext(ctx, "activation: batch admin refused", "remote", remote, "reason", reason, "failures", failures)
	if !blockedUntil.IsZero() {
		m.log.InfoContext(ctx, "activation: batch admin attempts blocked for the client address",
			"remote", remote, "failures", failures, "until", blockedUntil)
	}
	return errBatchRefused
}

func (m *Manager) isBatchAdmin(username string) bool {
	norm := userstore.NormalizeUsername(username)
	return slices.ContainsFunc(m.settings.BatchAdmins, func(a string) bool {
		return userstore.NormalizeUsername(a) == norm
	})
}

// auditBatchAdmin records a refused batch-admin login in the audit trail;
// a failure to record is logged.
func (m *Manager) auditBatchAdmin(ctx context.Context, username, remote, reason string, detail map[string]string) {
	e := userstore.AuditEvent{
		Time: m.now(), Kind: AuditBatchAdminFailed, Login: clip(username), Remote: clip(remote),
		Reason: reason, Detail: detail,
	}
	if err := m.store.AppendAudit(ctx, e); err != nil {
		m.log.ErrorContext(ctx, "activation: audit event not recorded", "reason", reason, "err", err)
	}
}

// remoteHost is the client's address without the port. Handlers behind a
// reverse proxy see the proxy's address.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

var _ Authenticator = (*ServiceAuthenticator)(nil)
var _ Authenticator = AuthenticatorFunc(nil)

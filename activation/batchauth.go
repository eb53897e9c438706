package activation

import (
	"context"
	"net"
	"net/http"
	"slices"

	"github.com/usher-sdk/usher/userstore"
)

// Authenticator checks a batch admin's password like any login. It
// returns nil when the password is right; any error refuses the request.
// An adapter over userstore's Service is a one-line AuthenticatorFunc.
type Authenticator interface {
	AuthenticateBatchAdmin(ctx context.Context, username, password, remote string) error
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(ctx context.Context, username, password, remote string) error

// AuthenticateBatchAdmin calls f.
func (f AuthenticatorFunc) AuthenticateBatchAdmin(ctx context.Context, username, password, remote string) error {
	return f(ctx, username, password, remote)
}

// batchAdminOK reports whether username is a configured batch admin whose
// password is right. The password is checked first, for every username,
// so that the answer takes as long for a non-admin as for an admin.
func (m *Manager) batchAdminOK(ctx context.Context, username, password, remote string) bool {
	if m.auth == nil || username == "" || password == "" {
		return false
	}
	if err := m.auth.AuthenticateBatchAdmin(ctx, username, password, remote); err != nil {
		m.log.InfoContext(ctx, "activation: batch admin refused", "remote", remote)
		return false
	}
	norm := userstore.NormalizeUsername(username)
	return slices.ContainsFunc(m.settings.BatchAdmins, func(a string) bool {
		return userstore.NormalizeUsername(a) == norm
	})
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

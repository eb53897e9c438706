package onboarding

import (
	"context"
	"fmt"
	"net"
	"net/http"

	"github.com/usher-sdk/usher/userstore"
)

// Audit kinds of the onboarding package.
const (
	AuditStarted         userstore.AuditKind = "onboarding.started"
	AuditStep            userstore.AuditKind = "onboarding.step"
	AuditRefused         userstore.AuditKind = "onboarding.refused"
	AuditApproved        userstore.AuditKind = "onboarding.approved"
	AuditRejected        userstore.AuditKind = "onboarding.rejected"
	AuditEnrolled        userstore.AuditKind = "onboarding.enrolled"
	AuditDeviceDestroyed userstore.AuditKind = "onboarding.device_destroyed"
)

// Auditor receives the Manager's audit events. userstore.AuditLog (every
// user store) is one. Implementations must be safe for concurrent use.
type Auditor interface {
	AppendAudit(ctx context.Context, e userstore.AuditEvent) error
}

// Keys of AuditEvent.Detail that the Manager sets.
const (
	DetailActivity    = "activity"    // activity ID
	DetailApplication = "application" // application ID
	DetailDevice      = "device"      // key fingerprint (hex SHA-256 of the SPKI), or device ID
	DetailTag         = "tag"         // requirement kind or TagSystem
	DetailMessage     = "message"     // what happened
)

type remoteKey struct{}

// WithRemote returns ctx carrying the client's address, which the
// Manager's audit events record as AuditEvent.Remote. DeviceHandler and
// AdminHandler set it from each request; a caller of the Go API sets it
// itself.
func WithRemote(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, remoteKey{}, addr)
}

// remoteFrom is the address WithRemote put in ctx, or "".
func remoteFrom(ctx context.Context) string {
	s, _ := ctx.Value(remoteKey{}).(string)
	return s
}

// withRemote wraps h so that each request's context carries its client's
// address (the host of RemoteAddr; put a proxy's X-Forwarded-For into
// RemoteAddr before, if there is one).
func withRemote(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr := r.RemoteAddr
		if host, _, err := net.SplitHostPort(addr); err == nil {
			addr = host
		}
		h.ServeHTTP(w, r.WithContext(WithRemote(r.Context(), addr)))
	})
}

// NotakeyLine formats e in the Notakey Authentication Server's shape,
// "[ONBOARDING] [activity] [user] [device] message", with the activity and
// device shortened to their first 5 characters and "-" for what is not
// known, e.g.
//
//	[ONBOARDING] [8c620] [mkarklins] [3fa41] Credentials checked. User found.
func NotakeyLine(e userstore.AuditEvent) string {
	user := e.Login
	if user == "" {
		user = e.UserID
	}
	return fmt.Sprintf("[ONBOARDING] [%s] [%s] [%s] %s",
		short(e.Detail[DetailActivity]), orDash(user), short(e.Detail[DetailDevice]), e.Detail[DetailMessage])
}

func short(s string) string {
	if len(s) > 5 {
		s = s[:5]
	}
	return orDash(s)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

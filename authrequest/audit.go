package authrequest

import (
	"context"

	"github.com/usher-sdk/usher/userstore"
)

// Audit kinds of the authrequest package.
const (
	AuditCreated  userstore.AuditKind = "authrequest.created"
	AuditClaimed  userstore.AuditKind = "authrequest.claimed"
	AuditApproved userstore.AuditKind = "authrequest.approved"
	AuditDenied   userstore.AuditKind = "authrequest.denied"
	// AuditRefused: a device's answer failed verification.
	AuditRefused userstore.AuditKind = "authrequest.refused"
	// AuditUserApproved: the user approved and the approver is asked.
	AuditUserApproved userstore.AuditKind = "authrequest.user_approved"
	// AuditPreApproval: a pre-approval changed state (Detail "state").
	AuditPreApproval userstore.AuditKind = "authrequest.pre_approval"
)

// Keys of AuditEvent.Detail that the Manager sets.
const (
	DetailRequest     = "request"     // request ID
	DetailApplication = "application" // application ID
	DetailDevice      = "device"      // device ID
	DetailAction      = "action"      // the request's action
	DetailReason      = "reason"      // a deny's reason
	DetailState       = "state"       // a pre-approval's new state
)

// emit appends an audit event about r; the true reason of a refusal goes
// into Reason, never to the caller.
func (m *Manager) emit(ctx context.Context, kind userstore.AuditKind, r Request, device, reason, denyReason string) {
	if m.audit == nil {
		return
	}
	d := map[string]string{DetailRequest: r.ID, DetailApplication: r.ApplicationID, DetailAction: r.Action}
	if device != "" {
		d[DetailDevice] = device
	}
	if denyReason != "" {
		d[DetailReason] = denyReason
	}
	e := userstore.AuditEvent{Time: m.now(), Kind: kind, UserID: r.UserID, Login: r.Username, Remote: r.RequestIP, Reason: reason, Detail: d}
	if err := m.audit.AppendAudit(ctx, e); err != nil {
		m.log.WarnContext(ctx, "authrequest: audit", "kind", string(kind), "err", err)
	}
}

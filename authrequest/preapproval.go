package authrequest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/usher-sdk/usher/userstore"
)

// MaxPreApprovalPeriod is the longest period a policy may allow: 30 days.
const MaxPreApprovalPeriod = 30 * 24 * time.Hour

// SetApprover makes approverID the approver of userID in the application
// (both user IDs of its pool); "" removes the approver. A user cannot be
// their own approver.
func (m *Manager) SetApprover(ctx context.Context, applicationID, userID, approverID string) error {
	if applicationID == "" || userID == "" {
		return invalid("application and user are required")
	}
	if approverID == userID {
		return invalid("a user cannot approve their own requests")
	}
	if _, err := m.apps.GetApplication(ctx, applicationID); err != nil {
		return fmt.Errorf("authrequest: application %q: %w", applicationID, ErrNotFound)
	}
	return m.store.SetApprover(ctx, applicationID, userID, approverID)
}

// CreatePolicy validates and stores a pre-approval policy. While an
// application has one, its users get requests only during an approved
// period.
func (m *Manager) CreatePolicy(ctx context.Context, p PreApprovalPolicy) (PreApprovalPolicy, error) {
	switch {
	case p.Name == "" || len(p.Name) > MaxTextLength:
		return PreApprovalPolicy{}, invalid("name: 1 to %d bytes", MaxTextLength)
	case p.MaxPeriod < time.Minute || p.MaxPeriod > MaxPreApprovalPeriod:
		return PreApprovalPolicy{}, invalid("max_period: 1 minute to %s", MaxPreApprovalPeriod)
	case p.AskValidity < 0 || p.AskValidity > 24*time.Hour:
		return PreApprovalPolicy{}, invalid("ask_validity: 0 (one hour) to 24 hours")
	}
	if _, err := m.apps.GetApplication(ctx, p.ApplicationID); err != nil {
		return PreApprovalPolicy{}, fmt.Errorf("authrequest: application %q: %w", p.ApplicationID, ErrNotFound)
	}
	if p.AskValidity == 0 {
		p.AskValidity = DefaultAskValidity
	}
	return m.store.CreatePolicy(ctx, p)
}

// AskPreApproval is what a user sends from a policy's link: their username
// and the period they want. The user confirms on their device, then their
// approver approves within the policy's AskValidity; the returned
// pre-approval's ID lets the page follow it.
//
// Whether the user exists, or has an approver, is never told: for an
// unknown or disabled user, or one without an approver, the answer is the
// same and the ask simply expires.
func (m *Manager) AskPreApproval(ctx context.Context, policyID, username string, period time.Duration) (PreApproval, error) {
	pol, err := m.store.GetPolicy(ctx, policyID)
	if err != nil {
		return PreApproval{}, err
	}
	if username == "" || len(username) > userstore.MaxUsernameLength {
		return PreApproval{}, invalid("username is required")
	}
	if period < time.Minute || period > pol.MaxPeriod {
		return PreApproval{}, invalid("period: 1 minute to %s", pol.MaxPeriod)
	}
	app, err := m.apps.GetApplication(ctx, pol.ApplicationID)
	if err != nil {
		return PreApproval{}, fmt.Errorf("authrequest: application: %w", err)
	}
	now := m.now()
	pa := PreApproval{PolicyID: pol.ID, ApplicationID: app.ID, Period: period, State: PreApprovalAsked,
		CreatedAt: now, AskExpiresAt: now.Add(pol.AskValidity)}
	if pa.ID, err = m.randomHex(16); err != nil {
		return PreApproval{}, err
	}
	r := Request{ApplicationID: app.ID, Username: username, Origin: OriginAPI, Kind: KindPreApproval,
		PreApprovalID: pa.ID, Status: StatePending, CreatedAt: now, ExpiresAt: pa.AskExpiresAt}
	if r.ID, err = m.randomHex(16); err != nil {
		return PreApproval{}, err
	}
	if r.Nonce, err = m.randomHex(16); err != nil {
		return PreApproval{}, err
	}
	reason := ""
	users, err := m.cfg.Users(ctx, app)
	if err != nil {
		return PreApproval{}, fmt.Errorf("authrequest: users of application: %w", err)
	}
	u, err := users.GetUserByUsername(ctx, username)
	switch {
	case errors.Is(err, userstore.ErrNotFound):
		reason = "unknown user"
	case err != nil:
		return PreApproval{}, fmt.Errorf("authrequest: find user: %w", err)
	case !u.Enabled:
		reason = "user disabled"
	default:
		approver, err := m.store.Approver(ctx, app.ID, u.ID)
		if err != nil {
			return PreApproval{}, fmt.Errorf("authrequest: approver: %w", err)
		}
		if approver == "" {
			reason = "user has no approver"
		} else {
			pa.UserID, pa.ApproverID = u.ID, approver
			r.UserID, r.ApproverID = u.ID, approver
		}
	}
	r.Action = truncate(fmt.Sprintf("Access to %s for %s", app.Name, period.Round(time.Minute)), MaxTextLength)
	r.Description = truncate(fmt.Sprintf("%s asks for access to %s until %s.", username, app.Name, now.Add(pol.AskValidity).Add(period).UTC().Format(time.RFC3339)), MaxTextLength)
	if pa, err = m.store.CreatePreApproval(ctx, pa); err != nil {
		return PreApproval{}, err
	}
	if _, err := m.store.CreateRequest(ctx, r, false, nil); err != nil {
		return PreApproval{}, err
	}
	m.emitPreApproval(ctx, pa, username, reason)
	if reason != "" {
		m.log.InfoContext(ctx, "authrequest: pre-approval ask will go unanswered", "pre_approval", pa.ID, "reason", reason)
	}
	return pa, nil
}

// PreApprovalStatus returns a pre-approval with its state at now.
func (m *Manager) PreApprovalStatus(ctx context.Context, id string) (PreApproval, error) {
	if !token(id) {
		return PreApproval{}, ErrNotFound
	}
	pa, err := m.store.GetPreApproval(ctx, id)
	if err != nil {
		return PreApproval{}, err
	}
	now := m.now()
	switch {
	case (pa.State == PreApprovalAsked || pa.State == PreApprovalConfirmed) && !now.Before(pa.AskExpiresAt):
		pa.State = PreApprovalExpired
	case pa.State == PreApprovalActive && !now.Before(pa.ActiveUntil):
		pa.State = PreApprovalExpired
	}
	return pa, nil
}

// decidePreApproval moves the pre-approval that r decides.
func (m *Manager) decidePreApproval(ctx context.Context, r Request, outcome State) {
	now := m.now()
	pa, err := m.store.UpdatePreApproval(ctx, r.PreApprovalID, func(p *PreApproval) error {
		switch outcome {
		case StateApproverPending:
			p.State = PreApprovalConfirmed
		case StateApproved:
			p.State, p.ActiveUntil = PreApprovalActive, now.Add(p.Period)
		case StateDenied:
			p.State = PreApprovalRejected
		}
		return nil
	})
	if err != nil {
		m.log.ErrorContext(ctx, "authrequest: pre-approval", "pre_approval", r.PreApprovalID, "err", err)
		return
	}
	m.emitPreApproval(ctx, pa, r.Username, "")
}

func (m *Manager) emitPreApproval(ctx context.Context, pa PreApproval, login, reason string) {
	if m.audit == nil {
		return
	}
	e := userstore.AuditEvent{Time: m.now(), Kind: AuditPreApproval, UserID: pa.UserID, Login: login, Reason: reason,
		Detail: map[string]string{DetailApplication: pa.ApplicationID, DetailState: string(pa.State), "pre_approval": pa.ID}}
	if err := m.audit.AppendAudit(ctx, e); err != nil {
		m.log.WarnContext(ctx, "authrequest: audit", "kind", string(AuditPreApproval), "err", err)
	}
}

// ActiveUsers returns the users of the application (every application
// for "") who authenticated in the last 90 days (ActiveUserPeriod).
func (m *Manager) ActiveUsers(ctx context.Context, applicationID string) ([]string, error) {
	return m.store.ActiveUsers(ctx, applicationID, m.now().Add(-ActiveUserPeriod))
}

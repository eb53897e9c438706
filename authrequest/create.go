package authrequest

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/usher-sdk/usher/authrequest/callback"
	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/userstore"
)

// CreateRequest is what a third party asks for.
type CreateRequest struct {
	// ApplicationID is the application whose user is asked. Required.
	ApplicationID string `json:"application_id"`
	// Username is the user to ask; empty with QR.
	Username string `json:"username,omitempty"`
	// ProfileID is the authentication profile; empty for none.
	ProfileID string `json:"profile_id,omitempty"`
	// Action (title) and Description (body); the profile's when empty.
	// Both may hold {variables}.
	Action      string `json:"action,omitempty"`
	Description string `json:"description,omitempty"`
	// TTL is the validity; the profile's (or DefaultTTL) when 0, and at
	// most the profile's TTL and MaxTTL.
	TTL            time.Duration     `json:"ttl,omitempty"`
	Fingerprint    string            `json:"fingerprint,omitempty"`
	State          string            `json:"state,omitempty"`
	BiometricCheck bool              `json:"biometric_check,omitempty"`
	Vars           map[string]string `json:"vars,omitempty"`
	// QR makes a request that a device claims by scanning its QR code,
	// instead of one for a named user.
	QR bool `json:"qr,omitempty"`
	// RequestIP is the third party's address, for callbacks and the audit.
	RequestIP string `json:"-"`
}

// Created is the answer to a CreateRequest, shaped after OpenID CIBA's.
type Created struct {
	ID        string    `json:"auth_req_id"`
	ExpiresAt time.Time `json:"expires_at"`
	// ExpiresIn is the validity in seconds.
	ExpiresIn int `json:"expires_in"`
	// Interval is how often, in seconds, to poll.
	Interval int `json:"interval"`
	// Number is the code to show the user when the profile asks for
	// number matching: the device's approval must repeat it.
	Number string `json:"number,omitempty"`
	// QRCode is the text to show as a QR code for a QR request:
	// "usher-auth:?id=ID&code=CODE".
	QRCode string `json:"qr_code,omitempty"`
}

func (in CreateRequest) validate() error {
	switch {
	case in.ApplicationID == "":
		return invalid("application_id is required")
	case in.QR && in.Username != "":
		return invalid("a QR request names no username")
	case !in.QR && in.Username == "":
		return invalid("username is required")
	case len(in.Username) > userstore.MaxUsernameLength:
		return invalid("username: at most %d bytes", userstore.MaxUsernameLength)
	case in.TTL < 0:
		return invalid("ttl must not be negative")
	}
	for name, v := range map[string]string{"action": in.Action, "description": in.Description, "fingerprint": in.Fingerprint, "state": in.State} {
		if len(v) > MaxTextLength || !utf8.ValidString(v) {
			return invalid("%s: at most %d bytes of UTF-8", name, MaxTextLength)
		}
	}
	return checkVars(in.Vars)
}

// Create makes an authentication request and records its Create
// callbacks.
//
// Whether the user exists is never told: for an unknown or disabled user,
// or one without an active pre-approval where the application has a
// pre-approval policy, Create answers as for any other, and the request
// simply expires unanswered (the true reason goes to the log and the
// audit trail).
func (m *Manager) Create(ctx context.Context, in CreateRequest) (Created, error) {
	if err := in.validate(); err != nil {
		return Created{}, err
	}
	app, err := m.apps.GetApplication(ctx, in.ApplicationID)
	if errors.Is(err, onboarding.ErrNotFound) {
		return Created{}, fmt.Errorf("authrequest: application %q: %w", in.ApplicationID, ErrNotFound)
	} else if err != nil {
		return Created{}, fmt.Errorf("authrequest: create: %w", err)
	}
	var prof Profile
	if in.ProfileID != "" {
		if prof, err = m.store.GetProfile(ctx, in.ProfileID); err != nil || prof.ApplicationID != app.ID {
			if err == nil || errors.Is(err, ErrNotFound) {
				return Created{}, fmt.Errorf("authrequest: profile %q of the application: %w", in.ProfileID, ErrNotFound)
			}
			return Created{}, fmt.Errorf("authrequest: create: %w", err)
		}
	}
	now := m.now()
	r := Request{ApplicationID: app.ID, ProfileID: prof.ID, Username: in.Username,
		Fingerprint: in.Fingerprint, State: in.State, BiometricCheck: in.BiometricCheck,
		Origin: OriginAPI, Kind: KindAuthentication, RequestIP: in.RequestIP,
		Status: StatePending, CreatedAt: now, ExpiresAt: now.Add(m.ttl(in.TTL, prof))}
	r.Vars = maps.Clone(prof.Vars)
	if r.Vars == nil && len(in.Vars) > 0 {
		r.Vars = map[string]string{}
	}
	maps.Copy(r.Vars, in.Vars)
	if r.ID, err = m.randomHex(16); err != nil {
		return Created{}, err
	}
	if r.Nonce, err = m.randomHex(16); err != nil {
		return Created{}, err
	}
	if prof.NumberMatching {
		if r.Number, err = m.number(); err != nil {
			return Created{}, err
		}
	}
	var code string
	var u userstore.User
	reason := ""
	if in.QR {
		r.Origin, r.Status = OriginQR, StateUnclaimed
		if code, err = m.randomHex(16); err != nil {
			return Created{}, err
		}
		sum := sha256.Sum256([]byte(code))
		r.ClaimCodeHash = hex.EncodeToString(sum[:])
	} else if u, reason, err = m.resolveUser(ctx, app, prof, &r, now); err != nil {
		return Created{}, err
	}
	var ds []Delivery
	if in.QR {
		// Expanded when a device claims it and its user is known.
		r.Action, r.Description = cmp.Or(in.Action, prof.Action), cmp.Or(in.Description, prof.Description)
	} else {
		r.Action, r.Description = m.texts(in.Action, in.Description, prof, r, u)
		if ds, err = m.deliveries(prof, r, u, EventCreate, nil); err != nil {
			return Created{}, err
		}
	}
	stored, err := m.store.CreateRequest(ctx, r, prof.SinglePending && r.UserID != "", ds)
	if err != nil {
		return Created{}, err
	}
	m.emit(ctx, AuditCreated, stored, "", reason, "")
	if reason != "" {
		m.log.InfoContext(ctx, "authrequest: request will go unanswered", "request", stored.ID, "application", app.ID, "reason", reason)
	}
	out := Created{ID: stored.ID, ExpiresAt: stored.ExpiresAt, ExpiresIn: int(stored.ExpiresAt.Sub(now).Round(time.Second) / time.Second),
		Interval: int(m.cfg.Interval.Round(time.Second) / time.Second), Number: stored.Number}
	if out.Interval < 1 {
		out.Interval = 1
	}
	if in.QR {
		out.QRCode = "usher-auth:?" + url.Values{"id": {stored.ID}, "code": {code}}.Encode()
	}
	return out, nil
}

// ttl is a request's validity.
func (m *Manager) ttl(asked time.Duration, p Profile) time.Duration {
	limit := MaxTTL
	if p.TTL > 0 {
		limit = min(p.TTL, MaxTTL)
	}
	switch {
	case asked > 0:
		return min(asked, limit)
	case p.TTL > 0:
		return limit
	}
	return DefaultTTL
}

// resolveUser finds the request's user and admits them. A user who is not
// to get the request leaves r.UserID empty and a reason.
func (m *Manager) resolveUser(ctx context.Context, app onboarding.Application, p Profile, r *Request, now time.Time) (userstore.User, string, error) {
	users, err := m.cfg.Users(ctx, app)
	if err != nil {
		return userstore.User{}, "", fmt.Errorf("authrequest: users of application: %w", err)
	}
	u, err := users.GetUserByUsername(ctx, r.Username)
	reason := ""
	switch {
	case errors.Is(err, userstore.ErrNotFound):
		reason, u = "unknown user", userstore.User{}
	case err != nil:
		return userstore.User{}, "", fmt.Errorf("authrequest: find user: %w", err)
	case !u.Enabled:
		reason = "user disabled"
	}
	// The same reads for every user, known or not, so that the answer's
	// time says little about which it was.
	a, err := m.admit(ctx, p, r.ApplicationID, u.ID, now)
	if err != nil {
		return userstore.User{}, "", err
	}
	if reason == "" {
		reason = a.reason
	}
	if reason != "" {
		return u, reason, nil
	}
	r.UserID, r.ApproverID = u.ID, a.approver
	return u, "", nil
}

// admission is whether a user gets a request and who approves it.
type admission struct {
	reason   string // why the user does not get it; "" when they do
	approver string // the approver who must approve after the user
}

// admit decides whether the user gets requests of the application (an
// application with a pre-approval policy needs an active pre-approval)
// and who must approve after them (the profile's RequireApprover, unless
// pre-approved).
func (m *Manager) admit(ctx context.Context, p Profile, appID, userID string, now time.Time) (admission, error) {
	policies, err := m.store.ListPolicies(ctx, appID)
	if err != nil {
		return admission{}, fmt.Errorf("authrequest: policies: %w", err)
	}
	if len(policies) > 0 {
		_, err := m.store.ActivePreApproval(ctx, appID, userID, now)
		switch {
		case errors.Is(err, ErrNotFound):
			return admission{reason: "no active pre-approval"}, nil
		case err != nil:
			return admission{}, fmt.Errorf("authrequest: pre-approval: %w", err)
		}
		return admission{}, nil
	}
	if !p.RequireApprover {
		return admission{}, nil
	}
	approver, err := m.store.Approver(ctx, appID, userID)
	if err != nil {
		return admission{}, fmt.Errorf("authrequest: approver: %w", err)
	}
	return admission{approver: approver}, nil
}

// texts expands a request's action and description.
func (m *Manager) texts(action, description string, p Profile, r Request, u userstore.User) (string, string) {
	if action == "" {
		action = p.Action
	}
	if description == "" {
		description = p.Description
	}
	vs := userVars(r, u)
	return expandText(action, vs), expandText(description, vs)
}

// expandText expands a text for a device, at most MaxTextLength bytes; a
// text that fails to expand is shown as written.
func expandText(text string, vs map[string]string) string {
	if out, err := callback.Expand(text, vs); err == nil {
		text = out
	}
	return truncate(text, MaxTextLength)
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// deliveries are the callbacks of p that event e of r fires.
func (m *Manager) deliveries(p Profile, r Request, u userstore.User, e Event, a *Answer) ([]Delivery, error) {
	var ds []Delivery
	var vs map[string]string
	for i, cb := range p.Callbacks {
		if !Event(cb.Event).Matches(e) {
			continue
		}
		if vs == nil {
			vs = eventVars(r, u, e, a)
		}
		id, err := m.randomHex(16)
		if err != nil {
			return nil, err
		}
		ds = append(ds, Delivery{ID: "msg_" + id, ProfileID: p.ID, CallbackID: cb.ID, Callback: i, RequestID: r.ID, Event: e, Vars: vs})
	}
	return ds, nil
}

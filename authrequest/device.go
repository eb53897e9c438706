package authrequest

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"time"
	"unicode/utf8"

	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/userstore"
)

// MaxPending is the most requests a device's list returns: 50.
const MaxPending = 50

// DeviceProof is a device's signature over ListMessage, proving it holds
// its enrolled key when it lists its pending requests.
type DeviceProof struct {
	DeviceID  string `json:"device_id"`
	Time      int64  `json:"time"` // Unix seconds
	Signature []byte `json:"signature"`
}

// Role says why a device sees a request.
type Role string

// Roles of a DeviceRequest.
const (
	RoleUser     Role = "user"     // the request is the device user's
	RoleApprover Role = "approver" // the device user approves another's
)

// DeviceRequest is a pending request as a device shows it.
type DeviceRequest struct {
	ID   string `json:"id"`
	Kind Kind   `json:"kind"`
	Role Role   `json:"role"`
	// Username is the user who is asked: the device's own, or for an
	// approver the user who wants the action.
	Username       string    `json:"username"`
	Action         string    `json:"action"`
	Description    string    `json:"description"`
	Fingerprint    string    `json:"fingerprint,omitempty"`
	BiometricCheck bool      `json:"biometric_check"`
	ExpiresAt      time.Time `json:"expires_at"`
	// Nonce goes into the signed answer.
	Nonce string `json:"nonce"`
	// NumberMatching says that an approval must carry the number the third
	// party shows (never sent to the device).
	NumberMatching bool `json:"number_matching"`
}

func deviceView(r Request, role Role) DeviceRequest {
	return DeviceRequest{ID: r.ID, Kind: r.Kind, Role: role, Username: r.Username, Action: r.Action,
		Description: r.Description, Fingerprint: r.Fingerprint, BiometricCheck: r.BiometricCheck,
		ExpiresAt: r.ExpiresAt, Nonce: r.Nonce, NumberMatching: r.Number != "" && role == RoleUser}
}

// device loads an active, unrevoked device and checks its signature of
// msg; every failure is ErrRefused (the reason is returned for the log).
func (m *Manager) device(ctx context.Context, id string, msg, sig []byte) (onboarding.Device, string, error) {
	if !token(id) {
		return onboarding.Device{}, "malformed device ID", ErrRefused
	}
	d, err := m.devices.GetDevice(ctx, id)
	switch {
	case errors.Is(err, onboarding.ErrNotFound):
		return onboarding.Device{}, "unknown device", ErrRefused
	case err != nil:
		return onboarding.Device{}, "", fmt.Errorf("authrequest: device: %w", err)
	case d.State != onboarding.DeviceActive:
		return onboarding.Device{}, "device not active", ErrRefused
	case !verify(d.PublicKey, msg, sig):
		return onboarding.Device{}, "bad signature", ErrRefused
	}
	if serial, ok := new(big.Int).SetString(d.CertSerial, 16); ok && m.revoked != nil {
		rs, err := m.revoked.Revocations(ctx)
		if err != nil {
			return onboarding.Device{}, "", fmt.Errorf("authrequest: revocations: %w", err)
		}
		for _, r := range rs {
			if r.Serial != nil && r.Serial.Cmp(serial) == 0 {
				return onboarding.Device{}, "certificate revoked", ErrRefused
			}
		}
	}
	return d, "", nil
}

// fresh reports whether the proof time t is within ProofSkew of now.
func (m *Manager) fresh(t int64) bool {
	d := m.now().Sub(time.Unix(t, 0))
	return d <= ProofSkew && d >= -ProofSkew
}

// Pending returns the requests the device's user is asked to answer in
// the device's application, as user or as approver, oldest first.
func (m *Manager) Pending(ctx context.Context, p DeviceProof) ([]DeviceRequest, error) {
	if !m.fresh(p.Time) {
		m.log.InfoContext(ctx, "authrequest: list refused", "device", p.DeviceID, "reason", "stale proof")
		return nil, ErrRefused
	}
	d, why, err := m.device(ctx, p.DeviceID, ListMessage(p.DeviceID, time.Unix(p.Time, 0)), p.Signature)
	if err != nil {
		if why != "" {
			m.log.InfoContext(ctx, "authrequest: list refused", "device", p.DeviceID, "reason", why)
		}
		return nil, err
	}
	rs, err := m.store.PendingRequests(ctx, d.ApplicationID, d.UserID, m.now(), MaxPending)
	if err != nil {
		return nil, fmt.Errorf("authrequest: pending: %w", err)
	}
	out := []DeviceRequest{}
	for _, r := range rs {
		if r.ApplicationID != d.ApplicationID {
			continue
		}
		role := RoleUser
		if r.Status == StateApproverPending {
			role = RoleApprover
		}
		out = append(out, deviceView(r, role))
	}
	return out, nil
}

// DeviceAnswer is a device's signed answer as it arrives.
type DeviceAnswer struct {
	DeviceID    string   `json:"device_id"`
	Decision    Decision `json:"decision"`
	Nonce       string   `json:"nonce"`
	Expiry      int64    `json:"expiry"` // Unix seconds
	Number      string   `json:"number,omitempty"`
	Payload     []byte   `json:"payload,omitempty"`
	PayloadType string   `json:"payload_type,omitempty"`
	Reason      string   `json:"reason,omitempty"`
	Signature   []byte   `json:"signature"`
	// ResponseIP is the device's address, for callbacks and the audit.
	ResponseIP string `json:"-"`
}

func (a DeviceAnswer) signed(requestID string) SignedAnswer {
	return SignedAnswer{RequestID: requestID, Nonce: a.Nonce, Decision: a.Decision, Expiry: time.Unix(a.Expiry, 0),
		Number: a.Number, Payload: a.Payload, PayloadType: a.PayloadType, Reason: a.Reason}
}

func (a DeviceAnswer) validate(requestID string) error {
	switch {
	case !token(requestID):
		return invalid("malformed request ID")
	case a.Decision != Approve && a.Decision != Deny:
		return invalid("decision must be %q or %q", Approve, Deny)
	case !token(a.Nonce):
		return invalid("malformed nonce")
	case a.Number != "" && !token(a.Number):
		return invalid("malformed number")
	case len(a.Payload) > MaxPayload:
		return invalid("payload: at most %d bytes", MaxPayload)
	case len(a.PayloadType) > MaxPayloadType || !utf8.ValidString(a.PayloadType):
		return invalid("payload_type: at most %d bytes of UTF-8", MaxPayloadType)
	case len(a.Reason) > MaxTextLength || !utf8.ValidString(a.Reason):
		return invalid("reason: at most %d bytes of UTF-8", MaxTextLength)
	case len(a.Signature) == 0 || len(a.Signature) > 512:
		return invalid("signature is required")
	}
	return nil
}

// refusal is an answer refused inside the store's transaction, with the
// reason for the log.
type refusal struct{ why string }

func (r refusal) Error() string { return "authrequest: answer refused: " + r.why }
func (r refusal) Unwrap() error { return ErrRefused }

// Answer verifies a device's signed answer to the request id and applies
// it: a deny ends the request; an approval ends it, or passes it to the
// user's approver. A request is answered once: an answer to a final or
// expired request is ErrAnswered; a forged, replayed, stale, foreign or
// wrongly numbered answer is ErrRefused, with the reason only in the log
// and the audit trail.
func (m *Manager) Answer(ctx context.Context, id string, a DeviceAnswer) (Request, error) {
	if err := a.validate(id); err != nil {
		return Request{}, err
	}
	sa := a.signed(id)
	now := m.now()
	refuse := func(why string, r Request, device string) (Request, error) {
		m.log.InfoContext(ctx, "authrequest: answer refused", "request", id, "device", a.DeviceID, "reason", why)
		if r.ID == "" {
			r = Request{ID: id}
		}
		m.emit(ctx, AuditRefused, r, device, why, "")
		return Request{}, ErrRefused
	}
	if exp := time.Unix(a.Expiry, 0); !exp.After(now) || exp.After(now.Add(MaxAnswerLifetime)) {
		return refuse("answer expired or expiry too far ahead", Request{}, a.DeviceID)
	}
	d, why, err := m.device(ctx, a.DeviceID, sa.Message(), a.Signature)
	if err != nil {
		if why != "" {
			return refuse(why, Request{}, a.DeviceID)
		}
		return Request{}, err
	}
	// What the deliveries need is read before the transaction, which must
	// not wait on other reads (SQLite's single in-memory connection).
	cur, err := m.store.GetRequest(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return refuse("unknown request", Request{}, d.ID)
	} else if err != nil {
		return Request{}, err
	}
	prof, u, err := m.context(ctx, cur)
	if err != nil {
		return Request{}, err
	}
	var outcome State
	r, err := m.store.UpdateRequest(ctx, id, func(r *Request) ([]Delivery, error) {
		role := RoleUser
		switch {
		case r.ApplicationID != d.ApplicationID:
			return nil, refusal{"device of another application"}
		case r.Status.Final() || r.Status == StateUnclaimed || !now.Before(r.ExpiresAt):
			if r.Status == StateUnclaimed {
				return nil, refusal{"request not claimed"}
			}
			return nil, fmt.Errorf("authrequest: request %s: %w", r.ID, ErrAnswered)
		case r.Status == StatePending && r.UserID != "" && r.UserID == d.UserID:
		case r.Status == StateApproverPending && r.ApproverID == d.UserID:
			role = RoleApprover
		default:
			return nil, refusal{"device of another user"}
		}
		if subtle.ConstantTimeCompare([]byte(r.Nonce), []byte(a.Nonce)) != 1 {
			return nil, refusal{"nonce is not the request's current one"}
		}
		if a.Decision == Approve && role == RoleUser && r.Number != "" &&
			subtle.ConstantTimeCompare([]byte(r.Number), []byte(a.Number)) != 1 {
			return nil, refusal{"wrong number"}
		}
		ans := Answer{DeviceID: d.ID, UserID: d.UserID, Decision: a.Decision, Reason: a.Reason, Payload: a.Payload,
			PayloadType: a.PayloadType, Signature: a.Signature, ResponseIP: a.ResponseIP, Time: now}
		r.Answers = append(r.Answers, ans)
		nonce, err := m.randomHex(16)
		if err != nil {
			return nil, err
		}
		r.Nonce = nonce
		switch {
		case a.Decision == Deny:
			r.Status = StateDenied
		case role == RoleUser && r.ApproverID != "":
			r.Status = StateApproverPending
			outcome = r.Status
			return nil, nil
		default:
			r.Status = StateApproved
		}
		outcome = r.Status
		if r.ProfileID != prof.ID {
			return nil, nil // the profile was deleted: nobody to tell
		}
		e := EventApprove
		if a.Decision == Deny {
			e = EventDeny
		}
		return m.deliveries(prof, *r, u, e, &ans)
	})
	if rf, ok := errors.AsType[refusal](err); ok {
		if got, gerr := m.store.GetRequest(ctx, id); gerr == nil {
			return refuse(rf.why, got, d.ID)
		}
		return refuse(rf.why, Request{}, d.ID)
	}
	if errors.Is(err, ErrNotFound) {
		return refuse("unknown request", Request{}, d.ID)
	}
	if err != nil {
		return Request{}, err
	}
	m.after(ctx, r, d, outcome, a.Reason)
	return r, nil
}

// context reads the profile and user of r, for its callbacks: the zero
// Profile when r has none or it was deleted, the zero User when gone.
func (m *Manager) context(ctx context.Context, r Request) (Profile, userstore.User, error) {
	var p Profile
	if r.ProfileID != "" {
		var err error
		if p, err = m.store.GetProfile(ctx, r.ProfileID); errors.Is(err, ErrNotFound) {
			p = Profile{}
		} else if err != nil {
			return Profile{}, userstore.User{}, fmt.Errorf("authrequest: profile: %w", err)
		}
	}
	u, err := m.userOf(ctx, r)
	return p, u, err
}

// userOf returns the request's user, or the zero User when gone.
func (m *Manager) userOf(ctx context.Context, r Request) (userstore.User, error) {
	if r.UserID == "" {
		return userstore.User{}, nil
	}
	app, err := m.apps.GetApplication(ctx, r.ApplicationID)
	if err != nil {
		return userstore.User{}, fmt.Errorf("authrequest: application: %w", err)
	}
	users, err := m.cfg.Users(ctx, app)
	if err != nil {
		return userstore.User{}, fmt.Errorf("authrequest: users of application: %w", err)
	}
	u, err := users.GetUser(ctx, r.UserID)
	if errors.Is(err, userstore.ErrNotFound) {
		return userstore.User{}, nil
	}
	return u, err
}

// after records what an applied answer means beyond the request: the
// user's last authentication, the pre-approval it decides, the audit
// trail, and the waiters.
func (m *Manager) after(ctx context.Context, r Request, d onboarding.Device, outcome State, reason string) {
	defer m.notify(r.ID)
	switch outcome {
	case StateApproved:
		m.emit(ctx, AuditApproved, r, d.ID, "", "")
		if r.Kind == KindAuthentication {
			if err := m.store.RecordAuthentication(ctx, r.ApplicationID, r.UserID, m.now()); err != nil {
				m.log.WarnContext(ctx, "authrequest: record authentication", "request", r.ID, "err", err)
			}
		}
	case StateApproverPending:
		m.emit(ctx, AuditUserApproved, r, d.ID, "", "")
	case StateDenied:
		m.emit(ctx, AuditDenied, r, d.ID, "", reason)
	}
	if r.Kind == KindPreApproval && r.PreApprovalID != "" {
		m.decidePreApproval(ctx, r, outcome)
	}
}

// ClaimRequest is a device's claim of a QR request: the code it scanned
// and its signature over ClaimMessage.
type ClaimRequest struct {
	DeviceID  string `json:"device_id"`
	Code      string `json:"code"`
	Time      int64  `json:"time"`
	Signature []byte `json:"signature"`
}

// Claim binds the QR request id to the device's user, who then answers it
// like any other, and records its Create callbacks (with {source} "qr").
func (m *Manager) Claim(ctx context.Context, id string, c ClaimRequest) (DeviceRequest, error) {
	if !token(id) || !token(c.Code) {
		return DeviceRequest{}, invalid("malformed request ID or code")
	}
	if !m.fresh(c.Time) {
		m.log.InfoContext(ctx, "authrequest: claim refused", "request", id, "reason", "stale proof")
		return DeviceRequest{}, ErrRefused
	}
	d, why, err := m.device(ctx, c.DeviceID, ClaimMessage(id, c.Code, c.DeviceID, time.Unix(c.Time, 0)), c.Signature)
	if err != nil {
		if why != "" {
			m.log.InfoContext(ctx, "authrequest: claim refused", "request", id, "device", c.DeviceID, "reason", why)
		}
		return DeviceRequest{}, err
	}
	app, err := m.apps.GetApplication(ctx, d.ApplicationID)
	if err != nil {
		return DeviceRequest{}, fmt.Errorf("authrequest: application: %w", err)
	}
	users, err := m.cfg.Users(ctx, app)
	if err != nil {
		return DeviceRequest{}, fmt.Errorf("authrequest: users of application: %w", err)
	}
	u, err := users.GetUser(ctx, d.UserID)
	if err != nil || !u.Enabled {
		m.log.InfoContext(ctx, "authrequest: claim refused", "request", id, "device", d.ID, "reason", "user gone or disabled")
		return DeviceRequest{}, ErrRefused
	}
	cur, err := m.store.GetRequest(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return DeviceRequest{}, ErrRefused
	} else if err != nil {
		return DeviceRequest{}, err
	}
	prof, _, err := m.context(ctx, cur)
	if err != nil {
		return DeviceRequest{}, err
	}
	sum := sha256.Sum256([]byte(c.Code))
	now := m.now()
	adm, err := m.admit(ctx, prof, d.ApplicationID, u.ID, now)
	if err != nil {
		return DeviceRequest{}, err
	}
	if adm.reason != "" {
		return DeviceRequest{}, fmt.Errorf("authrequest: claim: %s: %w", adm.reason, ErrNoAccess)
	}
	r, err := m.store.UpdateRequest(ctx, id, func(r *Request) ([]Delivery, error) {
		switch {
		case r.ApplicationID != d.ApplicationID:
			return nil, refusal{"device of another application"}
		case r.Status != StateUnclaimed || !now.Before(r.ExpiresAt):
			return nil, fmt.Errorf("authrequest: request %s: %w", r.ID, ErrAnswered)
		case subtle.ConstantTimeCompare([]byte(r.ClaimCodeHash), []byte(hex.EncodeToString(sum[:]))) != 1:
			return nil, refusal{"wrong code"}
		}
		r.Username, r.UserID, r.ApproverID = u.Username, u.ID, adm.approver
		r.Status, r.ClaimCodeHash = StatePending, ""
		r.Action, r.Description = m.texts(r.Action, r.Description, prof, *r, u)
		return m.deliveries(prof, *r, u, EventCreate, nil)
	})
	if rf, ok := errors.AsType[refusal](err); ok {
		m.log.InfoContext(ctx, "authrequest: claim refused", "request", id, "device", d.ID, "reason", rf.why)
		return DeviceRequest{}, ErrRefused
	}
	if errors.Is(err, ErrNotFound) {
		return DeviceRequest{}, ErrRefused
	}
	if err != nil {
		return DeviceRequest{}, err
	}
	m.emit(ctx, AuditClaimed, r, d.ID, "", "")
	m.notify(r.ID)
	return deviceView(r, RoleUser), nil
}

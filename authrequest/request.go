package authrequest

import (
	"time"
)

// State is where an authentication request stands.
type State string

// States of a Request. A request is answered once: from StatePending (or
// StateApproverPending) it moves to exactly one final state.
const (
	// StateUnclaimed: a request made for a QR code, waiting for a device
	// to scan it; it has no user yet.
	StateUnclaimed State = "unclaimed"
	// StatePending: waiting for the user's devices.
	StatePending State = "pending"
	// StateApproverPending: the user approved; the user's approver must
	// approve too (immediate approval).
	StateApproverPending State = "approver_pending"
	// StateApproved: approved (by the user, and the approver when one was
	// needed).
	StateApproved State = "approved"
	// StateDenied: a device denied it.
	StateDenied State = "denied"
	// StateExpired: nobody answered before ExpiresAt.
	StateExpired State = "expired"
)

// Final reports whether s ends the request.
func (s State) Final() bool {
	return s == StateApproved || s == StateDenied || s == StateExpired
}

// Origin says how a request started.
type Origin string

// Origins of a Request.
const (
	OriginAPI Origin = "api" // a third party named the user
	OriginQR  Origin = "qr"  // a device scanned the request's QR code
)

// Request is one authentication request: a third party asks a user of an
// application to approve an action on an enrolled device.
type Request struct {
	// ID is assigned on create: 32 random lower-case hex digits, the
	// auth_req_id of the third-party API.
	ID            string `json:"id"`
	ApplicationID string `json:"application_id"`
	// ProfileID is the authentication profile that shaped the request and
	// whose callbacks report it; empty for none.
	ProfileID string `json:"profile_id,omitempty"`
	// UserID is the application user (userstore ID); empty while
	// StateUnclaimed.
	UserID   string `json:"user_id,omitempty"`
	Username string `json:"username,omitempty"`
	// ApproverID is the user who must approve after the user (immediate
	// approval), or empty.
	ApproverID string `json:"approver_id,omitempty"`
	// Action (title) and Description (body) as the device shows them,
	// with their {variables} already expanded.
	Action      string `json:"action"`
	Description string `json:"description"`
	Fingerprint string `json:"fingerprint,omitempty"`
	// State is the third party's opaque value, returned and passed to
	// callbacks; not to be confused with Status.
	State          string `json:"state,omitempty"`
	BiometricCheck bool   `json:"biometric_check"`
	// Vars are the request's custom variables (over the profile's).
	Vars   map[string]string `json:"vars,omitempty"`
	Origin Origin            `json:"origin"`
	Kind   Kind              `json:"kind"`
	// PreApprovalID is the pre-approval a KindPreApproval request decides.
	PreApprovalID string `json:"pre_approval_id,omitempty"`
	// Number is the number-matching code the third party shows and the
	// device's answer must carry; empty when the profile does not ask.
	Number string `json:"-"`
	// Nonce is the server's single-use value that a device's signed answer
	// carries.
	Nonce string `json:"-"`
	// ClaimCode is the secret of a QR request's code, stored hashed
	// (SHA-256, hex); empty otherwise.
	ClaimCodeHash string `json:"-"`
	// RequestIP is the third party's address when it created the request.
	RequestIP string `json:"request_ip,omitempty"`

	Status    State     `json:"status"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	UpdatedAt time.Time `json:"updated_at"`

	// Answers are the signed answers received, oldest first (the user's,
	// then the approver's).
	Answers []Answer `json:"answers,omitempty"`
}

// Answer is one device's signed decision on a request, as verified and
// kept.
type Answer struct {
	DeviceID string   `json:"device_id"`
	UserID   string   `json:"user_id"`
	Decision Decision `json:"decision"`
	// Reason is the device's free text for a deny ("this wasn't me").
	Reason string `json:"reason,omitempty"`
	// Payload is what the device signed beside its decision, and its type
	// (e.g. "application/json").
	Payload     []byte `json:"payload,omitempty"`
	PayloadType string `json:"payload_type,omitempty"`
	// Signature is the device's signature over Canonical(...).
	Signature  []byte    `json:"signature"`
	ResponseIP string    `json:"response_ip,omitempty"`
	Time       time.Time `json:"time"`
}

// Decision is a device's answer.
type Decision string

// Decisions.
const (
	Approve Decision = "approve"
	Deny    Decision = "deny"
)

// Event is what happened to a request, as callbacks subscribe to it.
type Event string

// Events, as a callback names them (Notakey's table).
const (
	EventCreate   Event = "Create"
	EventApprove  Event = "Approve"
	EventDeny     Event = "Deny"
	EventResponse Event = "Response" // Approve or Deny
	EventError    Event = "Error"    // a callback finally failed
	EventAny      Event = "Any"      // every event but Error
)

// Matches reports whether a callback subscribed to e fires for the event
// that happened.
func (e Event) Matches(happened Event) bool {
	switch e {
	case happened:
		return true
	case EventResponse:
		return happened == EventApprove || happened == EventDeny
	case EventAny:
		return happened != EventError
	}
	return false
}

// Kind says what a request asks for.
type Kind string

// Kinds of Request.
const (
	// KindAuthentication: a third party asks the user to approve an action.
	KindAuthentication Kind = "authentication"
	// KindPreApproval: the user confirms, then the approver approves, a
	// PreApproval (PreApprovalID).
	KindPreApproval Kind = "pre_approval"
)

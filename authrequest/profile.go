package authrequest

import (
	"time"

	"github.com/usher-sdk/usher/authrequest/callback"
)

// Profile is an authentication profile: how a request made with it looks
// and behaves, and whom it reports to.
type Profile struct {
	// ID is assigned by the store on create.
	ID            string `json:"id"`
	ApplicationID string `json:"application_id"`
	// Name is unique within the application without regard to case.
	Name string `json:"name"`
	// TTL is a request's validity when the third party gives none, and the
	// most it may ask for. 0 means DefaultTTL.
	TTL time.Duration `json:"ttl"`
	// Action and Description are the defaults for a request that gives
	// none; both may hold {variables}.
	Action      string `json:"action,omitempty"`
	Description string `json:"description,omitempty"`
	// Vars are custom variables, overridden by the request's own.
	Vars map[string]string `json:"vars,omitempty"`
	// NumberMatching makes every request carry a short number the third
	// party shows and the device's answer must repeat.
	NumberMatching bool `json:"number_matching"`
	// SinglePending allows at most one pending request per user and
	// application: a second is refused with ErrPendingExists.
	SinglePending bool `json:"single_pending"`
	// RequireApprover makes a request of a user who has an approver need
	// the approver's approval after the user's.
	RequireApprover bool `json:"require_approver"`
	// Callbacks are called, in order of their events, for every request of
	// the profile.
	Callbacks []callback.Callback `json:"callbacks,omitempty"`
	// Secrets sign deliveries the Standard Webhooks way ("whsec_" and
	// base64); the first signs, all are sent during a rotation.
	// Never shown after create.
	Secrets   []string  `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

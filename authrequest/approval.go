package authrequest

import "time"

// PreApprovalState is where a user's ask for a period of access stands.
type PreApprovalState string

// States of a PreApproval.
const (
	// PreApprovalAsked: the user opened the link and asked; they must
	// confirm on their device.
	PreApprovalAsked PreApprovalState = "asked"
	// PreApprovalConfirmed: the user confirmed; the approver must approve
	// before AskExpiresAt.
	PreApprovalConfirmed PreApprovalState = "confirmed"
	// PreApprovalActive: approved; the user's requests need no approver
	// until ActiveUntil.
	PreApprovalActive PreApprovalState = "active"
	// PreApprovalRejected: the approver refused.
	PreApprovalRejected PreApprovalState = "rejected"
	// PreApprovalExpired: nobody approved in time, or the period ended.
	PreApprovalExpired PreApprovalState = "expired"
)

// PreApprovalPolicy lets the users of an application ask, through a link,
// for access for a period. While an application has a policy, its users
// get requests only during an approved period.
type PreApprovalPolicy struct {
	// ID is assigned on create; the link is built from it.
	ID            string `json:"id"`
	ApplicationID string `json:"application_id"`
	Name          string `json:"name"`
	// MaxPeriod is the longest period a user may ask for.
	MaxPeriod time.Duration `json:"max_period"`
	// AskValidity is how long the approver has to approve; 0 means one
	// hour.
	AskValidity time.Duration `json:"ask_validity"`
	CreatedAt   time.Time     `json:"created_at"`
}

// PreApproval is one user's ask for a period of access.
type PreApproval struct {
	ID            string           `json:"id"`
	PolicyID      string           `json:"policy_id"`
	ApplicationID string           `json:"application_id"`
	UserID        string           `json:"user_id"`
	ApproverID    string           `json:"approver_id"`
	Period        time.Duration    `json:"period"`
	State         PreApprovalState `json:"state"`
	CreatedAt     time.Time        `json:"created_at"`
	// AskExpiresAt ends the wait for the approver.
	AskExpiresAt time.Time `json:"ask_expires_at"`
	// ActiveUntil ends the period once approved.
	ActiveUntil time.Time `json:"active_until,omitzero"`
	UpdatedAt   time.Time `json:"updated_at"`
}

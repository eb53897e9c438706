package onboarding

import "time"

// Status is where an onboarding stands.
type Status string

// Statuses of an Activity.
const (
	// StatusInProgress: the device answers the current requirement.
	StatusInProgress Status = "in_progress"
	// StatusPending: the current requirement waits for someone else (an
	// administrator's approval); the device asks again.
	StatusPending Status = "pending"
	// StatusAwaitingCSR: every requirement is met; the device sends its CSR.
	StatusAwaitingCSR Status = "awaiting_csr"
	// StatusCompleted: the device is enrolled.
	StatusCompleted Status = "completed"
	// StatusRejected: a requirement refused the onboarding for good.
	StatusRejected Status = "rejected"
)

// Final reports whether s ends the onboarding.
func (s Status) Final() bool { return s == StatusCompleted || s == StatusRejected }

// TagSystem tags the steps of an activity that no requirement made.
const TagSystem = "system"

// Activity is one onboarding of one device key to one application: where it
// stands in the application's requirement chain and the steps it took.
type Activity struct {
	// ID is assigned by the store on create.
	ID            string `json:"id"`
	ApplicationID string `json:"application_id"`
	// PublicKey is the DER SubjectPublicKeyInfo of the device's key, which
	// the final CSR must carry.
	PublicKey []byte `json:"public_key"`
	// KeyFingerprint is the SHA-256 of PublicKey, in lower-case hex.
	KeyFingerprint string `json:"key_fingerprint"`
	// UserID is the application user once a requirement found them.
	UserID string `json:"user_id,omitempty"`
	// Login is what the user gave as their login, for the audit trail.
	Login string `json:"login,omitempty"`
	// Step is the index of the current requirement in the application's
	// chain; len(chain) once all are met.
	Step int `json:"step"`
	// Nonce is the single-use value the device must send with its next
	// answer (and in its CSR's challengePassword at the end). It changes
	// with every step, so that a replayed answer is refused.
	Nonce  string `json:"-"`
	Status Status `json:"status"`
	// Steps is what happened, oldest first.
	Steps     []Step    `json:"steps"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Step is one entry of an activity's history.
type Step struct {
	Time time.Time `json:"time"`
	// Tag is the requirement's kind, or TagSystem.
	Tag     string `json:"tag"`
	Message string `json:"message"`
}

package onboarding

import (
	"context"
	"encoding/json"
	"errors"
)

// Outcome is what a Requirement made of an answer.
type Outcome int

// Outcomes of Requirement.Check.
const (
	// Met: the step is done; the onboarding moves to the next one.
	Met Outcome = iota + 1
	// Pending: someone else must decide (Manager.Approve or Manager.Reject);
	// the device asks again with Manager.Status.
	Pending
	// Again: the step goes on (a code was sent); the device answers the
	// same step again with the new nonce.
	Again
)

// Prompt is what a requirement asks the device for, sent to it as JSON.
type Prompt struct {
	// Kind is the requirement's kind.
	Kind string `json:"kind"`
	// Fields names what the answer must hold ("username", "password"),
	// empty when the answer is an empty object.
	Fields []string `json:"fields,omitempty"`
	// Code is the comparison code the device shows beside its key's
	// picture (Manual).
	Code string `json:"code,omitempty"`
	// URL is where the device sends its user (OIDC's authorization URL).
	URL string `json:"url,omitempty"`
	// Message is for the person holding the device.
	Message string `json:"message,omitempty"`
}

// Step is what a Requirement is handed: the application, the step's spec
// (settings) and the onboarding as it stands.
type StepContext struct {
	Application Application
	Spec        RequirementSpec
	Activity    Activity
}

// Result is a Requirement's verdict on an answer that it did not refuse.
type Result struct {
	Outcome Outcome
	// UserID and Login name the application user the step found, if it
	// found one; a later step may not change a user already found.
	UserID string
	Login  string
	// Message goes into the activity's steps and the audit trail. It must
	// not hold secrets.
	Message string
	// Prompt, with Outcome Again, replaces the requirement's Prompt in the
	// answer to this call (an authorization URL made for this answer).
	Prompt *Prompt
}

// ErrRefused is what a Requirement's Check wraps when the answer is wrong
// (a bad password, an unknown user — never saying which). The onboarding is
// not changed and the device may answer again.
var ErrRefused = errors.New("onboarding: answer refused")

// Requirement is one kind of onboarding step. Credentials and Manual are
// built in; an application adds its own by implementing this and passing
// it in Config.Requirements.
//
// Implementations must be safe for concurrent use. Check runs outside any
// store transaction, may take long (hash a password, call a server) and is
// called again only for a new answer: the Manager makes sure that a step is
// met at most once and in order.
type Requirement interface {
	// Kind names the requirement in RequirementSpec.Kind and in the
	// activity's steps, e.g. "credentials".
	Kind() string
	// Prompt says what the device must answer.
	Prompt(ctx context.Context, sc StepContext) (Prompt, error)
	// Check checks the device's answer (a JSON object, at most
	// MaxAnswerSize bytes). A wrong answer is an error wrapping ErrRefused;
	// other errors are failures of infrastructure.
	Check(ctx context.Context, sc StepContext, answer json.RawMessage) (Result, error)
}

// MaxAnswerSize is the largest answer, in bytes, that the Manager hands a
// Requirement: 8 KiB.
const MaxAnswerSize = 8 << 10

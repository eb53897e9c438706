package authrequest

import "context"

// Delivery is one callback to call: recorded in the same transaction as
// the event that causes it, and delivered later, at least once, by the
// store's outbox. ID is the Standard Webhooks webhook-id, the same on
// every attempt, so that receivers drop duplicates.
type Delivery struct {
	ID        string `json:"id"`
	ProfileID string `json:"profile_id"`
	// CallbackID is the ID of the callback in the profile, and Callback its
	// index when the event happened (used only for deliveries recorded
	// before callbacks had IDs).
	CallbackID string `json:"callback_id,omitempty"`
	Callback   int    `json:"callback"`
	RequestID  string `json:"request_id"`
	Event      Event  `json:"event"`
	// Vars are the variables the callback's templates expand, as they
	// were when the event happened (Notakey's table: event, uuid,
	// username, …).
	Vars map[string]string `json:"vars"`
}

// Sender makes deliveries; the outbox calls it, with retries. Manager's
// Deliverer is the Sender of an application.
type Sender interface {
	// Send makes one attempt. An error that wraps ErrPermanent is not
	// tried again.
	Send(ctx context.Context, d Delivery) error
	// Failed is told that d finally failed with err and returns the Error
	// callbacks to deliver in its stead (none for a delivery that is
	// itself an Error callback), which the outbox records.
	Failed(ctx context.Context, d Delivery, err error) []Delivery
}

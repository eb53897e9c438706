package authrequest

import (
	"context"
	"time"
)

// MaxWait is the longest a third party may wait for a result in one call:
// 60 seconds.
const MaxWait = 60 * time.Second

// pollEvery is how often a waiter reads the store, to see answers taken by
// other processes; answers taken by this process wake it at once.
const pollEvery = 250 * time.Millisecond

// Status is a request's result as the third party sees it.
type Status struct {
	ID        string    `json:"auth_req_id"`
	Status    State     `json:"status"`
	ExpiresAt time.Time `json:"expires_at"`
	// State is the third party's value given at create.
	State string `json:"state,omitempty"`
	// DeviceID, Reason, Payload and PayloadType are the final answer's.
	DeviceID    string    `json:"device_id,omitempty"`
	Reason      string    `json:"reason,omitempty"`
	Payload     []byte    `json:"payload,omitempty"`
	PayloadType string    `json:"payload_type,omitempty"`
	AnsweredAt  time.Time `json:"answered_at,omitzero"`
}

// effective is r's state at now: a request past its expiry is expired
// even before a sweep records it.
func effective(r Request, now time.Time) State {
	if !r.Status.Final() && !now.Before(r.ExpiresAt) {
		return StateExpired
	}
	return r.Status
}

func (m *Manager) status(r Request) Status {
	s := Status{ID: r.ID, Status: effective(r, m.now()), ExpiresAt: r.ExpiresAt, State: r.State}
	if s.Status == StateUnclaimed || s.Status == StateApproverPending {
		// The third party waits either way; who is asked is not its business.
		s.Status = StatePending
	}
	if n := len(r.Answers); n > 0 && r.Status.Final() {
		a := r.Answers[n-1]
		s.DeviceID, s.Reason, s.Payload, s.PayloadType, s.AnsweredAt = a.DeviceID, a.Reason, a.Payload, a.PayloadType, a.Time
	}
	return s
}

// Get returns the request id and its status for a third party.
func (m *Manager) Get(ctx context.Context, id string) (Request, Status, error) {
	if !token(id) {
		return Request{}, Status{}, ErrNotFound
	}
	r, err := m.store.GetRequest(ctx, id)
	if err != nil {
		return Request{}, Status{}, err
	}
	return r, m.status(r), nil
}

// Wait returns the request's status once it is final, or when timeout
// (at most MaxWait) has passed or ctx ends, whichever is first: a long
// poll. Answers this process takes wake it at once; answers another
// process takes are seen within 250 ms.
func (m *Manager) Wait(ctx context.Context, id string, timeout time.Duration) (Request, Status, error) {
	timeout = min(max(timeout, 0), MaxWait)
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		woken, cancel := m.subscribe(id)
		r, s, err := m.Get(ctx, id)
		if err != nil || s.Status.Final() {
			cancel()
			return r, s, err
		}
		if wait := s.ExpiresAt.Sub(m.now()); wait < timeout {
			// Wake at expiry to report it.
			deadline.Reset(max(wait, 0) + time.Millisecond)
			timeout = wait
		}
		select {
		case <-ctx.Done():
			cancel()
			return r, s, nil
		case <-deadline.C:
			cancel()
			return m.Get(ctx, id)
		case <-woken:
		case <-tick.C:
		}
		cancel()
	}
}

// Sweep records the expiry of requests past their ExpiresAt, so that lists
// and the audit trail show it; Get and Wait report expiry without it. Run
// it now and then (the reference server does every minute).
func (m *Manager) Sweep(ctx context.Context) (int, error) {
	return m.store.ExpireRequests(ctx, m.now(), func(Request) []Delivery { return nil })
}

package authrequest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strconv"

	"github.com/usher-sdk/usher/authrequest/callback"
)

// Deliverer is the Sender of an application's outbox: it makes each
// delivery with its profile's current callback and secrets through a
// callback.Client, and turns a delivery that finally failed into the
// profile's Error callbacks. It is safe for concurrent use.
type Deliverer struct {
	profiles ProfileStore
	client   *callback.Client
	log      *slog.Logger
	rand     func(int) (string, error)
}

// Deliverer returns the Sender that makes the Manager's deliveries with
// client (callback.New() when nil).
func (m *Manager) Deliverer(client *callback.Client) *Deliverer {
	if client == nil {
		client = callback.New(callback.WithLogger(m.log))
	}
	return &Deliverer{profiles: m.store, client: client, log: m.log, rand: m.randomHex}
}

// Send makes one attempt at d. A delivery whose profile or callback is
// gone fails permanently.
func (d *Deliverer) Send(ctx context.Context, dl Delivery) error {
	_, err := d.Try(ctx, dl)
	return err
}

// Try is Send that also returns the receiver's answer (its status and how
// long the call took), for an administrator's "send test event".
func (d *Deliverer) Try(ctx context.Context, dl Delivery) (callback.Result, error) {
	p, err := d.profiles.GetProfile(ctx, dl.ProfileID)
	if errors.Is(err, ErrNotFound) {
		return callback.Result{}, fmt.Errorf("authrequest: delivery %s: profile %s is gone: %w", dl.ID, dl.ProfileID, ErrPermanent)
	} else if err != nil {
		return callback.Result{}, fmt.Errorf("authrequest: delivery %s: %w", dl.ID, err)
	}
	cb, ok := callbackOf(p, dl)
	if !ok {
		return callback.Result{}, fmt.Errorf("authrequest: delivery %s: callback %q (%d) of profile %s is gone: %w", dl.ID, dl.CallbackID, dl.Callback, p.ID, ErrPermanent)
	}
	res, err := d.client.Do(ctx, cb, callback.Message{ID: dl.ID, Vars: dl.Vars, Secrets: p.Secrets})
	if err != nil {
		if callback.IsPermanent(err) {
			return res, fmt.Errorf("authrequest: delivery %s: %w: %w", dl.ID, ErrPermanent, err)
		}
		return res, fmt.Errorf("authrequest: delivery %s: %w", dl.ID, err)
	}
	d.log.DebugContext(ctx, "authrequest: delivered", "delivery", dl.ID, "event", string(dl.Event), "status", res.StatusCode, "duration", res.Duration)
	return res, nil
}

// callbackOf finds the callback a delivery is for: by its ID, or, for a
// delivery recorded without one, by its index.
func callbackOf(p Profile, dl Delivery) (callback.Callback, bool) {
	if dl.CallbackID != "" {
		for _, cb := range p.Callbacks {
			if cb.ID == dl.CallbackID {
				return cb, true
			}
		}
		return callback.Callback{}, false
	}
	if dl.Callback < 0 || dl.Callback >= len(p.Callbacks) {
		return callback.Callback{}, false
	}
	return p.Callbacks[dl.Callback], true
}

// Failed returns the Error callbacks of d's profile, with {error} and
// {error_message} saying what failed; none for an Error callback, so that
// failures do not chain.
func (d *Deliverer) Failed(ctx context.Context, dl Delivery, cause error) []Delivery {
	d.log.WarnContext(ctx, "authrequest: delivery failed for good", "delivery", dl.ID, "profile", dl.ProfileID, "event", string(dl.Event), "err", cause)
	if dl.Event == EventError {
		return nil
	}
	p, err := d.profiles.GetProfile(ctx, dl.ProfileID)
	if err != nil {
		return nil
	}
	code := "delivery_failed"
	if errors.Is(cause, ErrPermanent) {
		code = "delivery_refused"
	}
	msg := fmt.Sprintf("callback %s (%s) failed: %s", cmp.Or(dl.CallbackID, strconv.Itoa(dl.Callback)), dl.Event, DeliveryErrorSummary(cause))
	var out []Delivery
	for i, cb := range p.Callbacks {
		if Event(cb.Event) != EventError {
			continue
		}
		id, err := d.rand(16)
		if err != nil {
			return out
		}
		vs := maps.Clone(dl.Vars)
		if vs == nil {
			vs = map[string]string{}
		}
		vs["error"], vs["error_message"], vs["event"] = code, truncate(msg, MaxTextLength), string(EventError)
		out = append(out, Delivery{ID: "msg_" + id, ProfileID: p.ID, CallbackID: cb.ID, Callback: i, RequestID: dl.RequestID, Event: EventError, Vars: vs})
	}
	return out
}

// DeliveryErrorSummary is what an Error callback, or an administrator, is
// told of a delivery's failure: the receiver's status when there was one,
// never the URL, headers or body, which may hold secrets.
func DeliveryErrorSummary(err error) string {
	e, ok := errors.AsType[*callback.Error](err)
	switch {
	case ok && e.StatusCode != 0:
		return fmt.Sprintf("the receiver answered %d", e.StatusCode)
	case errors.Is(err, context.DeadlineExceeded):
		return "the receiver did not answer in time"
	case errors.Is(err, callback.ErrInvalid):
		return "the callback is invalid after expansion"
	case ok:
		return "the receiver could not be reached"
	}
	return "the callback's profile or callback is gone"
}

// Package deviceclient is the Go client of the authrequest device API
// (authrequest.Manager.DeviceHandler), for Go authenticators, tests and
// the device simulator: it lists a device's pending requests, claims QR
// requests and answers, signing each call with the device's enrolled key.
package deviceclient

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/internal/httpjson"
)

// MaxResponseBody is the largest answer the client reads: 1 MiB.
const MaxResponseBody = 1 << 20

// DefaultAnswerLifetime is how long a signed answer stays valid: 1 minute.
const DefaultAnswerLifetime = time.Minute

// Error is an error answer of the server: its HTTP Status, its Code (one
// of the authrequest.Code constants) and its Message.
type Error = httpjson.APIError

// Client talks to one server for one enrolled device. Make it with New;
// it is safe for concurrent use.
type Client struct {
	base     string
	http     *http.Client
	deviceID string
	key      crypto.Signer
	now      func() time.Time
}

// Option sets a dependency of a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client. Default: http.DefaultClient.
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithClock sets the clock of proofs and answer expiries. Default: time.Now.
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// New returns a client of the server at baseURL (where DeviceHandler is
// mounted) for the enrolled device deviceID holding key.
func New(baseURL, deviceID string, key crypto.Signer, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("deviceclient: bad base URL %q", baseURL)
	}
	if key == nil || deviceID == "" {
		return nil, errors.New("deviceclient: a device ID and its key are required")
	}
	c := &Client{base: u.String(), http: http.DefaultClient, deviceID: deviceID, key: key, now: time.Now}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// Pending returns the requests the device's user is asked to answer.
func (c *Client) Pending(ctx context.Context) ([]authrequest.DeviceRequest, error) {
	now := c.now()
	sig, err := authrequest.Sign(c.key, authrequest.ListMessage(c.deviceID, now))
	if err != nil {
		return nil, err
	}
	var out []authrequest.DeviceRequest
	err = c.post(ctx, "/v1/devices/"+url.PathEscape(c.deviceID)+"/pending", authrequest.ListBody{Time: now.Unix(), Signature: sig}, &out)
	return out, err
}

// Answer is what a device answers besides its decision.
type Answer struct {
	// Number is what the user typed from the third party's screen, for a
	// request with NumberMatching.
	Number string
	// Reason is the user's words for a deny ("this wasn't me").
	Reason string
	// Payload and PayloadType are returned to the third party.
	Payload     []byte
	PayloadType string
}

// Approve approves r (as its user or as the approver).
func (c *Client) Approve(ctx context.Context, r authrequest.DeviceRequest, a Answer) (authrequest.Status, error) {
	return c.answer(ctx, r, authrequest.Approve, a)
}

// Deny denies r, with a reason when a.Reason is set.
func (c *Client) Deny(ctx context.Context, r authrequest.DeviceRequest, a Answer) (authrequest.Status, error) {
	return c.answer(ctx, r, authrequest.Deny, a)
}

func (c *Client) answer(ctx context.Context, r authrequest.DeviceRequest, d authrequest.Decision, a Answer) (authrequest.Status, error) {
	exp := c.now().Add(DefaultAnswerLifetime).Truncate(time.Second)
	sa := authrequest.SignedAnswer{RequestID: r.ID, Nonce: r.Nonce, Decision: d, Expiry: exp, Number: a.Number,
		Payload: a.Payload, PayloadType: a.PayloadType, Reason: a.Reason}
	sig, err := authrequest.Sign(c.key, sa.Message())
	if err != nil {
		return authrequest.Status{}, err
	}
	body := authrequest.DeviceAnswer{DeviceID: c.deviceID, Decision: d, Nonce: r.Nonce, Expiry: exp.Unix(), Number: a.Number,
		Payload: a.Payload, PayloadType: a.PayloadType, Reason: a.Reason, Signature: sig}
	var st authrequest.Status
	err = c.post(ctx, "/v1/requests/"+url.PathEscape(r.ID)+"/answer", body, &st)
	return st, err
}

// Claim claims the QR request whose code text ("usher-auth:?id=…&code=…")
// the device scanned, binding it to the device's user; answer it then
// like any other.
func (c *Client) Claim(ctx context.Context, qr string) (authrequest.DeviceRequest, error) {
	rest, ok := strings.CutPrefix(qr, "usher-auth:?")
	q, err := url.ParseQuery(rest)
	if !ok || err != nil || q.Get("id") == "" || q.Get("code") == "" {
		return authrequest.DeviceRequest{}, errors.New(`deviceclient: not an Usher QR code ("usher-auth:?id=…&code=…")`)
	}
	id, code, now := q.Get("id"), q.Get("code"), c.now()
	sig, err := authrequest.Sign(c.key, authrequest.ClaimMessage(id, code, c.deviceID, now))
	if err != nil {
		return authrequest.DeviceRequest{}, err
	}
	var out authrequest.DeviceRequest
	err = c.post(ctx, "/v1/requests/"+url.PathEscape(id)+"/claim",
		authrequest.ClaimRequest{DeviceID: c.deviceID, Code: code, Time: now.Unix(), Signature: sig}, &out)
	return out, err
}

func (c *Client) post(ctx context.Context, path string, body, out any) error {
	if err := httpjson.Do(ctx, c.http, http.MethodPost, c.base+path, nil, body, out, MaxResponseBody); err != nil {
		if _, ok := errors.AsType[*Error](err); ok {
			return err
		}
		return fmt.Errorf("deviceclient: %w", err)
	}
	return nil
}

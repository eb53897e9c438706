package callback

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Defaults of a Client.
const (
	// DefaultTimeout bounds one call, token fetch included (10 s).
	DefaultTimeout = 10 * time.Second
	// DefaultMaxResponseBody is how much of a receiver's answer is read
	// (64 KiB); the rest is dropped with the connection.
	DefaultMaxResponseBody = 64 << 10
)

// Client makes callback calls: one attempt each, signed, authenticated
// and bounded in time. It caches client-credentials tokens until they
// expire. A Client is safe for concurrent use; make one and share it.
type Client struct {
	hc      *http.Client
	now     func() time.Time
	log     *slog.Logger
	timeout time.Duration
	maxBody int64
	tokens  *tokenCache
	agent   string
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (default: a new http.Client on
// http.DefaultTransport). The Client uses a copy that does not follow
// redirects; hc itself is not changed.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithClock sets the clock of signature timestamps and token expiry
// (default time.Now).
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// WithLogger sets the logger (default: discard). Calls are logged with
// the message ID, event, receiver's host, status and duration, successes
// at Debug and failures at Info with the error; never with a secret, a
// token, a URL's path or query, a header or a body.
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// WithTimeout sets the bound of one call, token fetch and reading the
// answer included (default DefaultTimeout; d ≤ 0 keeps it).
func WithTimeout(d time.Duration) Option {
	return func(c *Client) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// WithMaxResponseBody sets how much of an answer is read (default
// DefaultMaxResponseBody; n ≤ 0 keeps it).
func WithMaxResponseBody(n int64) Option {
	return func(c *Client) {
		if n > 0 {
			c.maxBody = n
		}
	}
}

// WithTokenCacheSize sets how many client-credentials tokens are kept
// (default DefaultTokenCacheSize; n ≤ 0 keeps it).
func WithTokenCacheSize(n int) Option {
	return func(c *Client) {
		if n > 0 {
			c.tokens = newTokenCache(n)
		}
	}
}

// WithUserAgent sets the User-Agent header (default "Usher-Callback/1").
func WithUserAgent(ua string) Option { return func(c *Client) { c.agent = ua } }

// New returns a Client.
func New(opts ...Option) *Client {
	c := &Client{
		now:     time.Now,
		log:     slog.New(slog.DiscardHandler),
		timeout: DefaultTimeout,
		maxBody: DefaultMaxResponseBody,
		tokens:  newTokenCache(DefaultTokenCacheSize),
		agent:   "Usher-Callback/1",
	}
	for _, o := range opts {
		o(c)
	}
	hc := http.Client{}
	if c.hc != nil {
		hc = *c.hc
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.hc = &hc
	return c
}

// Message is what one call carries besides its callback.
type Message struct {
	// ID is the Standard Webhooks webhook-id: the same on every attempt
	// of one delivery, so that receivers drop duplicates. Required: 1 to
	// MaxIDLength printable ASCII bytes, no space.
	ID string
	// Vars are the values of the variables, Notakey's (see Variables) and
	// the custom ones together; the caller decides which wins on a clash.
	// Absent variables expand to "".
	Vars map[string]string
	// Secrets sign the call (see Sign): the current secret and, during a
	// rotation, the others. Without secrets the call carries webhook-id
	// and webhook-timestamp but no webhook-signature.
	Secrets []string
	// Timestamp is the webhook-timestamp; zero means the Client's clock
	// now. Give the time of the attempt, not of the event: receivers
	// refuse old timestamps.
	Timestamp time.Time
}

// Result is the outcome of a call that got an answer or failed.
type Result struct {
	// StatusCode is the receiver's answer, 0 when there was none.
	StatusCode int
	// Duration is how long the call took, token fetch included.
	Duration time.Duration
}

// Do validates and prepares cb (see Prepare) and calls it once with m;
// see Send. To call one callback many times, Prepare it once and use
// Send.
func (c *Client) Do(ctx context.Context, cb Callback, m Message) (Result, error) {
	p, err := Prepare(cb)
	if err != nil {
		return Result{}, &Error{Err: err, permanent: true}
	}
	return c.Send(ctx, p, m)
}

// Send calls p (from Prepare) once with m: it expands the URL, headers and body, signs
// the body the Standard Webhooks way, authenticates (fetching a client
// credentials token when none is cached), sends, and reads at most the
// Client's maximum of the answer, all within the Client's timeout.
//
// A 2xx answer is success. Any failure is an *Error: permanent (wrapping
// ErrPermanent; see IsPermanent) for an invalid message or expansion, a
// 3xx (redirects are not followed), or a 4xx other than 408 and 429 — but
// a 401 with client credentials drops the cached token and is temporary,
// so that the next attempt fetches a new one; temporary for a 5xx, 408,
// 429, a timeout, a cancelled ctx or a network error. The Result is
// filled in either case.
func (c *Client) Send(ctx context.Context, p *Prepared, m Message) (Result, error) {
	start := c.now()
	req, err := c.request(p, m)
	if err != nil {
		return Result{}, &Error{Err: err, permanent: true}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	res := Result{}
	done := func(err error) (Result, error) {
		res.Duration = c.now().Sub(start)
		attrs := []slog.Attr{
			slog.String("id", m.ID), slog.String("event", p.cb.Event),
			slog.String("method", req.Method), slog.String("host", req.URL.Host),
			slog.Int("status", res.StatusCode), slog.Duration("duration", res.Duration),
		}
		if err == nil {
			c.log.LogAttrs(ctx, slog.LevelDebug, "callback: delivered", attrs...)
		} else {
			attrs = append(attrs, slog.Bool("permanent", IsPermanent(err)), slog.String("err", err.Error()))
			c.log.LogAttrs(ctx, slog.LevelInfo, "callback: failed", attrs...)
		}
		return res, err
	}
	var entry *tokenEntry
	var tok *oauth2.Token
	if p.cb.Auth.Kind == AuthOAuth2 {
		if entry, tok, err = c.token(ctx, p.cb.Auth); err != nil {
			return done(err)
		}
		tok.SetAuthHeader(req)
	}
	resp, err := c.hc.Do(req.WithContext(ctx))
	if err != nil {
		return done(&Error{Err: transportError(err)})
	}
	res.StatusCode = resp.StatusCode
	// The answer is read (bounded) so that the connection can be reused;
	// a failure to read it changes nothing once the status is known.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, c.maxBody))
	resp.Body.Close()
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		return done(nil)
	case code == http.StatusUnauthorized && entry != nil:
		entry.drop(tok)
		return done(&Error{StatusCode: code, Err: errors.New("receiver refused the token; it is dropped")})
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		return done(&Error{StatusCode: code, RetryAfter: retryAfter(resp.Header.Get("Retry-After")), Err: errors.New(http.StatusText(code))})
	case code >= 300 && code < 400:
		return done(&Error{StatusCode: code, Err: errors.New("redirect not followed"), permanent: true})
	default:
		return done(&Error{StatusCode: code, Err: errors.New(http.StatusText(code)), permanent: true})
	}
}

// request builds the request of p with m, without the token.
func (c *Client) request(p *Prepared, m Message) (*http.Request, error) {
	if err := checkID(m.ID); err != nil {
		return nil, err
	}
	for name := range m.Vars {
		if !ValidName(name) {
			return nil, fmt.Errorf("%w: variable name %q is not 1 to %d of [A-Za-z0-9_]", ErrInvalid, name, MaxName)
		}
	}
	raw, err := p.url.Expand(m.Vars)
	if err != nil {
		return nil, err
	}
	body, err := p.body.Expand(m.Vars)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(p.method, raw, strings.NewReader(body))
	if err != nil || req.URL.Scheme != p.scheme || req.URL.Host != p.host {
		return nil, fmt.Errorf("%w: URL invalid after expansion", ErrInvalid)
	}
	if body == "" {
		req.Body, req.GetBody, req.ContentLength = http.NoBody, nil, 0
	}
	for _, h := range p.headers {
		v, err := h.tmpl.Expand(m.Vars)
		if err != nil {
			return nil, err
		}
		req.Header[h.name] = []string{v}
	}
	if c.agent != "" && req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", c.agent)
	}
	if body != "" {
		req.Header.Set("Content-Type", p.contentType)
	}
	ts := m.Timestamp
	if ts.IsZero() {
		ts = c.now()
	}
	req.Header.Set(HeaderID, m.ID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	if len(m.Secrets) > 0 {
		sig, err := Sign(m.Secrets, m.ID, ts, []byte(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set(HeaderSignature, sig)
	}
	if a := p.cb.Auth; a.Kind == AuthHeader {
		req.Header.Set(a.Header, a.Value)
	}
	return req, nil
}

// transportError keeps the cause of a failed round trip without the URL,
// whose path and query hold values.
func transportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// retryAfter reads a Retry-After of seconds; dates are ignored.
func retryAfter(v string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n <= 0 {
		return 0
	}
	return min(time.Duration(n)*time.Second, 24*time.Hour)
}

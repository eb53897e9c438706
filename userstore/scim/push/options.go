package push

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Option sets a dependency of a Follower.
type Option func(*options) error

type options struct {
	client *http.Client
	bearer string
	cc     *clientcredentials.Config
	log    *slog.Logger
	now    func() time.Time
}

// WithHTTPClient sets the client that sends requests to the downstream (and,
// with WithClientCredentials, to the token endpoint). Default: a client of
// its own on http.DefaultTransport that follows no redirects. Every request is
// bounded by Config.RequestTimeout whatever the client's own Timeout. Without
// WithBearerToken or WithClientCredentials the client is used as it is, so it
// may bring its own authentication.
func WithHTTPClient(c *http.Client) Option {
	return func(o *options) error {
		if c == nil {
			return errors.New("push: nil HTTP client")
		}
		o.client = c
		return nil
	}
}

// WithBearerToken authenticates every request with the static token in an
// Authorization: Bearer header (RFC 6750). The token is never logged.
func WithBearerToken(token string) Option {
	return func(o *options) error {
		if token == "" {
			return errors.New("push: empty bearer token")
		}
		o.bearer = token
		return nil
	}
}

// WithClientCredentials authenticates every request with an access token got
// from cc by the OAuth 2.0 client-credentials grant (RFC 6749, section 4.4),
// fetched when needed and reused until it expires. Tokens are never logged.
func WithClientCredentials(cc *clientcredentials.Config) Option {
	return func(o *options) error {
		if cc == nil || cc.TokenURL == "" || cc.ClientID == "" {
			return errors.New("push: client credentials need a TokenURL and a ClientID")
		}
		o.cc = cc
		return nil
	}
}

// WithLogger sets where the Follower logs: a downstream that fails at Warn
// (Run goes on retrying), a change the downstream refuses for good at Error,
// pushes at Debug. Default: discard. It never logs tokens or user data other
// than user IDs.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("push: nil logger")
		}
		o.log = l
		return nil
	}
}

// WithClock sets the clock against which a Retry-After date is read.
// Default time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return errors.New("push: nil clock")
		}
		o.now = now
		return nil
	}
}

// httpClient builds the client the Follower sends with, authentication
// included.
func (o *options) httpClient(cfg Config) (*http.Client, error) {
	if o.bearer != "" && o.cc != nil {
		return nil, errors.New("push: WithBearerToken and WithClientCredentials exclude each other")
	}
	base := o.client
	if base == nil {
		base = &http.Client{CheckRedirect: noRedirects}
	}
	var ts oauth2.TokenSource
	switch {
	case o.bearer != "":
		ts = oauth2.StaticTokenSource(&oauth2.Token{AccessToken: o.bearer, TokenType: "Bearer"})
	case o.cc != nil:
		tokenClient := *base
		if tokenClient.Timeout == 0 {
			tokenClient.Timeout = cfg.RequestTimeout
		}
		// x/oauth2 takes the token endpoint's client only from a
		// context; this one lives as long as the token source.
		ts = o.cc.TokenSource(context.WithValue(context.Background(), oauth2.HTTPClient, &tokenClient))
	default:
		return base, nil
	}
	c := *base
	c.Transport = &oauth2.Transport{Source: ts, Base: base.Transport}
	if c.CheckRedirect == nil {
		// Never carry the token to wherever a redirect points.
		c.CheckRedirect = noRedirects
	}
	return &c, nil
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

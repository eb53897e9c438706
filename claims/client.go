package claims

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/usher-sdk/usher/userstore"
)

// Identity is the verified, mapped result of a sign-in.
type Identity struct {
	// Issuer and Subject are the ID token's iss and sub.
	Issuer  string
	Subject string
	// User holds the mapped fields (Username, Email, GivenName,
	// FamilyName, DisplayName, Phone, ExternalID, Attributes), Roles and
	// Source (Config.Name); ID, times and Version are not set.
	User userstore.User
	// Groups are the user's groups as the provider named them (names or
	// IDs), or as the GroupResolver resolved an overage.
	Groups []string
	// Roles are the mapped roles, sorted, without duplicates.
	Roles []string
	// RolesMapped is set when the mapping gives roles (it has GroupRoles
	// or DefaultRoles). When it is not, Roles is empty and Provisioner
	// leaves a user's stored roles alone.
	RolesMapped bool
	// Claims are the ID token's claims, with the userinfo claims it lacks.
	Claims map[string]any
	// Warnings tell an administrator about the mapping (no mapped group
	// and no default roles).
	Warnings []string
}

// Client is an OpenID Connect relying party: it sends users to the
// provider, verifies what comes back (issuer, audience, expiry, nonce and
// signature, always) and maps it to an Identity. Make it with New; it is
// safe for concurrent use.
type Client struct {
	cfg    Config
	m      *mapper
	hc     *http.Client
	log    *slog.Logger
	now    func() time.Time
	states StateStore
	groups GroupResolver

	mu       sync.Mutex
	prov     *oidc.Provider
	verifier *oidc.IDTokenVerifier
	oauth    oauth2.Config
}

// New checks cfg and returns a Client. It does not contact the provider:
// discovery happens on first use, and is retried after a failure.
func New(cfg Config, opts ...Option) (*Client, error) {
	cfg, m, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Client{
		cfg:    cfg,
		m:      m,
		hc:     http.DefaultClient,
		log:    slog.New(slog.DiscardHandler),
		now:    time.Now,
		states: &MemoryStates{},
	}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// Config returns the configuration, defaults applied.
func (c *Client) Config() Config { return c.cfg }

// setup discovers the provider once.
func (c *Client) setup(ctx context.Context) (*oidc.IDTokenVerifier, oauth2.Config, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.prov != nil {
		return c.verifier, c.oauth, nil
	}
	octx := oidc.ClientContext(ctx, c.hc)
	var p *oidc.Provider
	if c.cfg.AuthURL != "" && c.cfg.TokenURL != "" && c.cfg.JWKSURL != "" {
		p = (&oidc.ProviderConfig{
			IssuerURL: c.cfg.Issuer, AuthURL: c.cfg.AuthURL, TokenURL: c.cfg.TokenURL,
			UserInfoURL: c.cfg.UserInfoURL, JWKSURL: c.cfg.JWKSURL, Algorithms: c.cfg.SigningAlgorithms,
		}).NewProvider(octx)
	} else {
		var err error
		p, err = oidc.NewProvider(octx, c.cfg.Issuer)
		if err != nil {
			var mismatch *oidc.IssuerMismatchError
			if errors.As(err, &mismatch) {
				return nil, oauth2.Config{}, refuse(ErrIssuer, "discovery names issuer %q, configured %q", mismatch.Discovered, mismatch.Provided)
			}
			if ctx.Err() != nil {
				return nil, oauth2.Config{}, ctx.Err()
			}
			return nil, oauth2.Config{}, fmt.Errorf("claims: discovery of %s: %w", c.cfg.Issuer, err)
		}
	}
	ep := p.Endpoint()
	if c.cfg.AuthURL != "" {
		ep.AuthURL = c.cfg.AuthURL
	}
	if c.cfg.TokenURL != "" {
		ep.TokenURL = c.cfg.TokenURL
	}
	c.prov = p
	c.verifier = p.Verifier(&oidc.Config{
		ClientID: c.cfg.ClientID, SupportedSigningAlgs: c.cfg.SigningAlgorithms, Now: c.now,
	})
	c.oauth = oauth2.Config{
		ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret, Endpoint: ep,
		RedirectURL: c.cfg.RedirectURL, Scopes: c.cfg.Scopes,
	}
	return c.verifier, c.oauth, nil
}

func randomString() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// AuthURL starts a sign-in: it keeps a new state, nonce and (for the code
// flow) PKCE verifier in the StateStore and returns the provider's
// authorization URL to send the user to. returnTo is kept for the caller
// and given back by Complete.
func (c *Client) AuthURL(ctx context.Context, returnTo string) (string, error) {
	u, _, err := c.begin(ctx, returnTo)
	return u, err
}

func (c *Client) begin(ctx context.Context, returnTo string) (authURL, state string, err error) {
	_, oc, err := c.setup(ctx)
	if err != nil {
		return "", "", err
	}
	state = randomString()
	p := Pending{Nonce: randomString(), ReturnTo: returnTo, Expires: c.now().Add(c.cfg.StateTTL)}
	opts := []oauth2.AuthCodeOption{oidc.Nonce(p.Nonce)}
	if c.cfg.ResponseType == ResponseIDToken {
		opts = append(opts, oauth2.SetAuthURLParam("response_type", "id_token"),
			oauth2.SetAuthURLParam("response_mode", "form_post"))
	} else {
		p.Verifier = oauth2.GenerateVerifier()
		opts = append(opts, oauth2.S256ChallengeOption(p.Verifier))
	}
	if err := c.states.Put(ctx, state, p); err != nil {
		return "", "", err
	}
	return oc.AuthCodeURL(state, opts...), state, nil
}

// Callback holds the parameters the provider sends to the redirect URL.
type Callback struct {
	State            string
	Code             string // code flow
	IDToken          string // id_token (form_post)
	Error            string
	ErrorDescription string
}

// MaxCallbackSize bounds a callback parameter, and a form_post body.
const MaxCallbackSize = 64 << 10

// CallbackFromRequest reads the callback parameters of r: the query of a
// GET, the form of a POST (form_post), its body at most MaxCallbackSize.
func CallbackFromRequest(r *http.Request) (Callback, error) {
	var get func(string) string
	switch r.Method {
	case http.MethodGet:
		get = r.URL.Query().Get
	case http.MethodPost:
		r.Body = http.MaxBytesReader(nil, r.Body, MaxCallbackSize)
		if err := r.ParseForm(); err != nil {
			return Callback{}, refuse(ErrToken, "callback form: %v", err)
		}
		get = r.PostForm.Get
	default:
		return Callback{}, refuse(ErrToken, "callback method %s", r.Method)
	}
	cb := Callback{
		State: get("state"), Code: get("code"), IDToken: get("id_token"),
		Error: get("error"), ErrorDescription: get("error_description"),
	}
	for _, v := range []string{cb.State, cb.Code, cb.IDToken, cb.Error, cb.ErrorDescription} {
		if len(v) > MaxCallbackSize {
			return Callback{}, refuse(ErrToken, "callback parameter longer than %d bytes", MaxCallbackSize)
		}
	}
	return cb, nil
}

// Complete finishes a sign-in from its callback parameters: it takes the
// state (once), exchanges the code with the PKCE verifier or reads the
// posted ID token, verifies the ID token and its nonce, fetches userinfo
// when configured, resolves the groups and maps the result. It returns
// the Identity and the returnTo given to AuthURL.
//
// Complete needs no browser session, so any caller that receives the
// callback parameters (a device relaying them, a test) can use it. A
// refused sign-in returns an error matching ErrRefused; other errors are
// infrastructure faults (the provider or the state store unreachable).
func (c *Client) Complete(ctx context.Context, cb Callback) (Identity, string, error) {
	id, returnTo, err := c.complete(ctx, cb)
	if err != nil && errors.Is(err, ErrRefused) {
		c.log.InfoContext(ctx, "claims: sign-in refused", "provider", c.cfg.Name, "reason", err.Error())
	}
	return id, returnTo, err
}

func (c *Client) complete(ctx context.Context, cb Callback) (Identity, string, error) {
	if cb.State == "" {
		return Identity{}, "", refuse(ErrState, "no state in the callback")
	}
	p, err := c.states.Take(ctx, cb.State)
	if errors.Is(err, ErrStateNotFound) {
		return Identity{}, "", refuse(ErrState, "")
	}
	if err != nil {
		return Identity{}, "", err
	}
	if !c.now().Before(p.Expires) {
		return Identity{}, "", refuse(ErrState, "the sign-in expired")
	}
	if cb.Error != "" {
		return Identity{}, "", &ProviderError{Code: cb.Error, Description: cb.ErrorDescription}
	}
	verifier, oc, err := c.setup(ctx)
	if err != nil {
		return Identity{}, "", err
	}
	var raw string
	var tok *oauth2.Token
	switch c.cfg.ResponseType {
	case ResponseIDToken:
		if cb.IDToken == "" {
			return Identity{}, "", refuse(ErrToken, "no id_token in the callback")
		}
		raw = cb.IDToken
	default:
		if cb.Code == "" {
			return Identity{}, "", refuse(ErrToken, "no code in the callback")
		}
		tok, err = oc.Exchange(context.WithValue(ctx, oauth2.HTTPClient, c.hc), cb.Code, oauth2.VerifierOption(p.Verifier))
		if err != nil {
			var re *oauth2.RetrieveError
			if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode < 500 {
				return Identity{}, "", refuse(ErrToken, "code exchange: %s", re.ErrorCode)
			}
			if ctx.Err() != nil {
				return Identity{}, "", ctx.Err()
			}
			return Identity{}, "", fmt.Errorf("claims: code exchange: %w", err)
		}
		raw, _ = tok.Extra("id_token").(string)
		if raw == "" {
			return Identity{}, "", refuse(ErrToken, "the token answer has no id_token")
		}
	}
	id, err := c.verify(ctx, verifier, raw, p.Nonce, tok)
	return id, p.ReturnTo, err
}

// VerifyIDToken verifies an ID token that the caller obtained itself
// (issuer, audience, expiry, signature, and that its nonce is nonce, which
// must not be empty) and returns the mapped Identity. It is for callers
// that run the authorization request themselves; no userinfo is fetched.
func (c *Client) VerifyIDToken(ctx context.Context, rawIDToken, nonce string) (Identity, error) {
	verifier, _, err := c.setup(ctx)
	if err != nil {
		return Identity{}, err
	}
	if nonce == "" {
		return Identity{}, refuse(ErrNonce, "no nonce to check")
	}
	if len(rawIDToken) > MaxCallbackSize {
		return Identity{}, refuse(ErrSignature, "ID token longer than %d bytes", MaxCallbackSize)
	}
	id, err := c.verify(ctx, verifier, rawIDToken, nonce, nil)
	if err != nil && errors.Is(err, ErrRefused) {
		c.log.InfoContext(ctx, "claims: sign-in refused", "provider", c.cfg.Name, "reason", err.Error())
	}
	return id, err
}

// verify checks the ID token and builds the Identity.
func (c *Client) verify(ctx context.Context, v *oidc.IDTokenVerifier, raw, nonce string, tok *oauth2.Token) (Identity, error) {
	idt, err := v.Verify(oidc.ClientContext(ctx, c.hc), raw)
	if err != nil {
		return Identity{}, c.classify(raw, err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return Identity{}, refuse(ErrNonce, "")
	}
	var azp struct {
		AZP string `json:"azp"`
	}
	_ = idt.Claims(&azp)
	if len(idt.Audience) > 1 && azp.AZP != "" && azp.AZP != c.cfg.ClientID {
		// OpenID Connect Core 3.1.3.7: with several audiences, the
		// authorized party must be this client.
		return Identity{}, refuse(ErrAudience, "token authorized for %q, not %q", azp.AZP, c.cfg.ClientID)
	}
	if tok != nil && idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return Identity{}, refuse(ErrSignature, "at_hash does not match the access token")
		}
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return Identity{}, refuse(ErrToken, "ID token claims: %v", err)
	}
	if c.cfg.UserInfo && tok != nil {
		if err := c.userInfo(ctx, tok, idt.Subject, claims); err != nil {
			return Identity{}, err
		}
	}
	groups, err := c.resolveGroups(ctx, claims)
	if err != nil {
		return Identity{}, err
	}
	u, err := c.m.user(claims, c.cfg.Name)
	if err != nil {
		return Identity{}, err
	}
	roles, warning := c.m.roles(groups)
	u.Roles = roles
	id := Identity{Issuer: idt.Issuer, Subject: idt.Subject, User: u, Groups: groups, Roles: roles, Claims: claims,
		RolesMapped: len(c.m.groupRoles) > 0 || len(c.m.defaultRoles) > 0}
	if warning != "" {
		id.Warnings = append(id.Warnings, warning)
		c.log.WarnContext(ctx, warning, "provider", c.cfg.Name, "user_id", u.ExternalID)
	}
	return id, nil
}

// userInfo merges the userinfo claims that claims lacks into claims.
func (c *Client) userInfo(ctx context.Context, tok *oauth2.Token, subject string, claims map[string]any) error {
	c.mu.Lock()
	p := c.prov
	c.mu.Unlock()
	if p.UserInfoEndpoint() == "" {
		return fmt.Errorf("claims: UserInfo is set but the provider has no userinfo endpoint")
	}
	info, err := p.UserInfo(oidc.ClientContext(ctx, c.hc), oauth2.StaticTokenSource(tok))
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("claims: userinfo: %w", err)
	}
	if info.Subject != subject {
		return refuse(ErrToken, "userinfo is about another subject")
	}
	var extra map[string]any
	if err := info.Claims(&extra); err != nil {
		return refuse(ErrToken, "userinfo claims: %v", err)
	}
	for k, v := range extra {
		if _, ok := claims[k]; !ok {
			claims[k] = v
		}
	}
	return nil
}

// classify turns a verification failure into a refusal of the right kind.
// The token's unverified payload is read only to name the failure; the
// token is refused whatever it says.
func (c *Client) classify(raw string, err error) error {
	var expired *oidc.TokenExpiredError
	if errors.As(err, &expired) {
		return refuse(ErrExpired, "expired at %s", expired.Expiry.UTC().Format(time.RFC3339))
	}
	var payload struct {
		Iss string          `json:"iss"`
		Aud json.RawMessage `json:"aud"`
	}
	parts := strings.Split(raw, ".")
	if len(parts) == 3 {
		if b, derr := base64.RawURLEncoding.DecodeString(parts[1]); derr == nil && json.Unmarshal(b, &payload) == nil {
			if payload.Iss != c.cfg.Issuer {
				return refuse(ErrIssuer, "token issued by %q, configured %q", payload.Iss, c.cfg.Issuer)
			}
			var one string
			var many []string
			if json.Unmarshal(payload.Aud, &one) == nil {
				many = []string{one}
			} else {
				_ = json.Unmarshal(payload.Aud, &many)
			}
			if !slices.Contains(many, c.cfg.ClientID) {
				return refuse(ErrAudience, "token is for %q, not %q", many, c.cfg.ClientID)
			}
		}
	}
	if strings.Contains(err.Error(), "fetching keys") {
		// The keys could not be read: the provider's fault, not the
		// token's (go-oidc says so only in its message).
		return fmt.Errorf("claims: reading the provider's signing keys: %w", err)
	}
	return refuse(ErrSignature, "%v", err)
}

// Package oidctest runs a real OpenID Provider in the test process: the op
// package of github.com/zitadel/oidc/v3 on an httptest server, with a
// storage of ours that signs in whichever user the test names, returns the
// claims the test gives (groups, Azure AD overage claims), rotates its
// signing keys, and can be told to misbehave (wrong audience, expired
// tokens, a signing key it does not publish, a replayed nonce).
//
// It is for tests only. A Provider is safe for concurrent use.
package oidctest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// User is a user of the provider.
type User struct {
	// Subject is the sub claim.
	Subject string
	// IDClaims go into every ID token and userinfo answer (groups,
	// _claim_names and _claim_sources, tid, oid, unique_name).
	IDClaims map[string]any
	// Profile claims are released for the profile, email and phone
	// scopes: in the userinfo answer, and in the ID token only when no
	// access token comes with it (response type id_token).
	Profile map[string]any
}

// Misbehaviour makes the provider issue bad tokens. (For a token of the
// wrong audience, sign in with OtherClientID.)
type Misbehaviour struct {
	// Expired issues ID tokens that expired an hour ago.
	Expired bool
	// UnpublishedKey signs with a key that the JWKS does not list.
	UnpublishedKey bool
	// ReplayNonce puts the nonce of the previous sign-in into the ID token.
	ReplayNonce bool
}

// The provider's registered clients: ClientID and OtherClientID, both
// with ClientSecret and the same redirect URIs.
const (
	ClientID      = "usher-client"
	OtherClientID = "other-client"
	ClientSecret  = "usher-secret"
)

// Provider is a running OpenID Provider.
type Provider struct {
	srv      *httptest.Server
	provider *op.Provider
	st       *storage
}

// New starts a provider whose issuer is its own URL, with one client
// (ClientID, ClientSecret) allowed to redirect to redirectURIs (which may
// be set later with SetRedirectURIs). It is closed when the test ends.
func New(tb interface {
	Helper()
	Fatalf(string, ...any)
	Cleanup(func())
}) *Provider {
	tb.Helper()
	p, err := Start("")
	if err != nil {
		tb.Fatalf("oidctest: %v", err)
	}
	tb.Cleanup(p.Close)
	return p
}

// Start starts a provider. issuer, when not empty, is the issuer the
// provider claims in discovery and in its tokens instead of its own URL
// (to test a client configured for another issuer). Close it when done.
func Start(issuer string) (*Provider, error) {
	st := newStorage()
	p := &Provider{st: st}
	var handler http.Handler
	mux := http.NewServeMux()
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.ServeHTTP(w, r)
	}))
	if issuer == "" {
		issuer = p.srv.URL
	}
	var key [32]byte
	_, _ = rand.Read(key[:])
	prov, err := op.NewProvider(&op.Config{
		CryptoKey:      key,
		CodeMethodS256: true,
		AuthMethodPost: true,
	}, st, op.StaticIssuer(issuer), op.WithAllowInsecure())
	if err != nil {
		p.srv.Close()
		return nil, err
	}
	p.provider = prov
	callback := prov.AuthorizationEndpoint().Relative() + "/callback?id="
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("id")
		if err := st.complete(id); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, callback+url.QueryEscape(id), http.StatusFound)
	})
	mux.Handle("/", prov)
	handler = mux
	return p, nil
}

// Close stops the server.
func (p *Provider) Close() { p.srv.Close() }

// URL is the server's base URL, the issuer unless Start was given another.
func (p *Provider) URL() string { return p.srv.URL }

// Client returns an HTTP client for the server.
func (p *Provider) Client() *http.Client { return p.srv.Client() }

// SetRedirectURIs sets the redirect URIs the client may use.
func (p *Provider) SetRedirectURIs(uris ...string) {
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	p.st.redirects = slices.Clone(uris)
}

// PutUser adds or replaces a user.
func (p *Provider) PutUser(u User) {
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	p.st.users[u.Subject] = u
}

// SignInAs makes the next sign-ins authenticate the user with this
// subject (there is no login form).
func (p *Provider) SignInAs(subject string) {
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	p.st.next = subject
}

// Misbehave sets how the provider misbehaves from now on; the zero value
// makes it behave.
func (p *Provider) Misbehave(m Misbehaviour) {
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	p.st.bad = m
}

// RotateKeys makes a new signing key current. With keepOld the JWKS keeps
// publishing the old keys beside it; without, only the new key is listed.
func (p *Provider) RotateKeys(keepOld bool) {
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	k := newKey()
	if keepOld {
		p.st.keys = append([]*signingKey{k}, p.st.keys...)
	} else {
		p.st.keys = []*signingKey{k}
	}
}

// UserInfoCalls counts the answers of the userinfo endpoint.
func (p *Provider) UserInfoCalls() int {
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	return p.st.userinfoCalls
}

type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

func newKey() *signingKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return &signingKey{id: hex.EncodeToString(b[:]), key: k}
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *signingKey) Key() any                                    { return k.key }
func (k *signingKey) ID() string                                  { return k.id }

type publicKey struct{ k *signingKey }

func (k publicKey) ID() string                         { return k.k.id }
func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return &k.k.key.PublicKey }

// authRequest is one authorization request.
type authRequest struct {
	id, clientID, redirect, state, nonce string
	scopes                               []string
	responseType                         oidc.ResponseType
	responseMode                         oidc.ResponseMode
	challenge                            *oidc.CodeChallenge
	subject                              string
	audience                             []string
	done                                 bool
	authTime                             time.Time
}

func (a *authRequest) GetID() string                         { return a.id }
func (a *authRequest) GetACR() string                        { return "" }
func (a *authRequest) GetAMR() []string                      { return []string{"pwd"} }
func (a *authRequest) GetAudience() []string                 { return a.audience }
func (a *authRequest) GetAuthTime() time.Time                { return a.authTime }
func (a *authRequest) GetClientID() string                   { return a.clientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.challenge }
func (a *authRequest) GetNonce() string                      { return a.nonce }
func (a *authRequest) GetRedirectURI() string                { return a.redirect }
func (a *authRequest) GetResponseType() oidc.ResponseType    { return a.responseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode    { return a.responseMode }
func (a *authRequest) GetScopes() []string                   { return a.scopes }
func (a *authRequest) GetState() string                      { return a.state }
func (a *authRequest) GetSubject() string                    { return a.subject }
func (a *authRequest) Done() bool                            { return a.done }

type client struct {
	id        string
	redirects []string
	lifetime  time.Duration
}

func (c *client) GetID() string                    { return c.id }
func (c *client) RedirectURIs() []string           { return c.redirects }
func (c *client) PostLogoutRedirectURIs() []string { return nil }
func (c *client) ApplicationType() op.ApplicationType {
	return op.ApplicationTypeWeb
}
func (c *client) AuthMethod() oidc.AuthMethod { return oidc.AuthMethodBasic }
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode, oidc.ResponseTypeIDTokenOnly, oidc.ResponseTypeIDToken}
}
func (c *client) GrantTypes() []oidc.GrantType        { return []oidc.GrantType{oidc.GrantTypeCode} }
func (c *client) LoginURL(id string) string           { return "/login?id=" + id }
func (c *client) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeBearer }
func (c *client) IDTokenLifetime() time.Duration      { return c.lifetime }
func (c *client) DevMode() bool                       { return true }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) IsScopeAllowed(string) bool           { return false }
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c *client) ClockSkew() time.Duration             { return 0 }

type accessToken struct {
	subject string
	scopes  []string
}

// storage is the op.Storage.
type storage struct {
	mu            sync.Mutex
	keys          []*signingKey // keys[0] signs
	rogue         *signingKey
	users         map[string]User
	next          string
	bad           Misbehaviour
	redirects     []string
	requests      map[string]*authRequest
	codes         map[string]string
	tokens        map[string]accessToken
	lastNonce     string
	userinfoCalls int
}

var _ op.Storage = (*storage)(nil)

func newStorage() *storage {
	return &storage{
		keys:     []*signingKey{newKey()},
		rogue:    newKey(),
		users:    map[string]User{},
		requests: map[string]*authRequest{},
		codes:    map[string]string{},
		tokens:   map[string]accessToken{},
	}
}

func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// complete signs the next user in to the request.
func (s *storage) complete(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.requests[id]
	if !ok {
		return errors.New("unknown auth request")
	}
	if _, ok := s.users[s.next]; !ok {
		return fmt.Errorf("no user %q to sign in", s.next)
	}
	r.subject = s.next
	r.done = true
	r.authTime = time.Now()
	if s.bad.ReplayNonce && s.lastNonce != "" {
		r.nonce = s.lastNonce
	} else {
		s.lastNonce = r.nonce
	}
	return nil
}

func (s *storage) CreateAuthRequest(_ context.Context, ar *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := &authRequest{
		id: randomID(), clientID: ar.ClientID, redirect: ar.RedirectURI, state: ar.State,
		nonce: ar.Nonce, scopes: ar.Scopes, responseType: ar.ResponseType, responseMode: ar.ResponseMode,
		audience: []string{ar.ClientID},
	}
	if ar.CodeChallenge != "" {
		r.challenge = &oidc.CodeChallenge{Challenge: ar.CodeChallenge, Method: ar.CodeChallengeMethod}
	}
	s.requests[r.id] = r
	return r, nil
}

func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.requests[id]
	if !ok {
		return nil, errors.New("auth request not found")
	}
	return r, nil
}

func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	id, ok := s.codes[code]
	s.mu.Unlock()
	if !ok {
		return nil, errors.New("code invalid or expired")
	}
	return s.AuthRequestByID(ctx, id)
}

func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	for c, rid := range s.codes {
		if rid == id {
			delete(s.codes, c)
		}
	}
	return nil
}

func (s *storage) CreateAccessToken(_ context.Context, r op.TokenRequest) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := randomID()
	s.tokens[id] = accessToken{subject: r.GetSubject(), scopes: r.GetScopes()}
	return id, time.Now().Add(5 * time.Minute), nil
}

func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errors.New("refresh tokens are not supported")
}

func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, op.ErrInvalidRefreshToken
}

func (s *storage) TerminateSession(context.Context, string, string) error { return nil }

func (s *storage) RevokeToken(context.Context, string, string, string) *oidc.Error { return nil }

func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bad.UnpublishedKey {
		return s.rogue, nil
	}
	return s.keys[0], nil
}

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]op.Key, 0, len(s.keys))
	for _, k := range s.keys {
		out = append(out, publicKey{k})
	}
	return out, nil
}

func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	if id != ClientID && id != OtherClientID {
		return nil, errors.New("client not found")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &client{id: id, redirects: slices.Clone(s.redirects), lifetime: time.Hour}
	if s.bad.Expired {
		c.lifetime = -time.Hour
	}
	return c, nil
}

func (s *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	if (id != ClientID && id != OtherClientID) || secret != ClientSecret {
		return errors.New("invalid client")
	}
	return nil
}

func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token.
func (s *storage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, r op.IDTokenRequest, scopes []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fill(info, r.GetSubject(), scopes)
	return nil
}

func (s *storage) fill(info *oidc.UserInfo, subject string, scopes []string) {
	u := s.users[subject]
	info.Subject = subject
	for k, v := range u.IDClaims {
		info.AppendClaims(k, v)
	}
	if slices.Contains(scopes, oidc.ScopeProfile) || slices.Contains(scopes, oidc.ScopeEmail) || slices.Contains(scopes, oidc.ScopePhone) {
		for k, v := range u.Profile {
			info.AppendClaims(k, v)
		}
	}
}

func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[tokenID]
	if !ok || t.subject != subject {
		return errors.New("token not found")
	}
	s.userinfoCalls++
	s.fill(info, subject, t.scopes)
	return nil
}

func (s *storage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errors.New("introspection is not supported")
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("not supported")
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("not supported")
}

func (s *storage) Health(context.Context) error { return nil }

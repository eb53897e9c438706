package claims

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Response types of Config.ResponseType.
const (
	// ResponseCode is the authorization code flow with PKCE (S256),
	// state and nonce; the ID token comes from the token endpoint.
	ResponseCode = "code"
	// ResponseIDToken is the implicit flow with response_mode=form_post:
	// the provider posts the ID token (and the state) to the redirect
	// URL. There is no access token, so no userinfo.
	ResponseIDToken = "id_token"
)

// Defaults of Config.
const (
	DefaultName     = "oidc"
	DefaultStateTTL = 10 * time.Minute
)

// DefaultScopes are the scopes requested when Config.Scopes is empty.
func DefaultScopes() []string { return []string{"openid", "profile"} }

// Config configures a Client. Issuer, ClientID and RedirectURL are
// required; every other field has a working default.
type Config struct {
	// Name identifies the provider; it is the Source of the users this
	// client provisions (userstore.User.Source). Default "oidc".
	Name string `json:"name,omitempty"`
	// Issuer is the provider's issuer URL (the authority). Unless
	// AuthURL, TokenURL and JWKSURL are all set, its discovery document
	// (Issuer + "/.well-known/openid-configuration") is read on first use
	// and must name the same issuer. ID tokens must carry it as iss.
	Issuer string `json:"issuer"`
	// AuthURL, TokenURL, UserInfoURL and JWKSURL are the provider's
	// endpoints, for a provider without discovery. When AuthURL, TokenURL
	// and JWKSURL are set, discovery is skipped.
	AuthURL     string `json:"authUrl,omitempty"`
	TokenURL    string `json:"tokenUrl,omitempty"`
	UserInfoURL string `json:"userInfoUrl,omitempty"`
	JWKSURL     string `json:"jwksUrl,omitempty"`
	// ClientID is this client's ID at the provider; ID tokens must list
	// it in aud. Required.
	ClientID string `json:"clientId"`
	// ClientSecret is this client's secret; empty for a public client
	// (PKCE only).
	ClientSecret string `json:"clientSecret,omitempty"`
	// RedirectURL is the callback URL registered at the provider, where
	// Handler's "/callback" is reached. Required.
	RedirectURL string `json:"redirectUrl"`
	// Scopes requested. Default DefaultScopes ("openid profile");
	// "openid" is added when missing.
	Scopes []string `json:"scopes,omitempty"`
	// ResponseType is ResponseCode (default) or ResponseIDToken.
	ResponseType string `json:"responseType,omitempty"`
	// UserInfo makes the client fetch the userinfo endpoint after the code
	// exchange, to fill in claims the ID token lacks (claims of the ID
	// token win). Only with ResponseCode.
	UserInfo bool `json:"userInfo,omitempty"`
	// SigningAlgorithms the ID token may be signed with (RS256, ES256,
	// EdDSA, …; never none or HMAC). Default: the asymmetric algorithms
	// the discovery document lists, else RS256.
	SigningAlgorithms []string `json:"signingAlgorithms,omitempty"`
	// StateTTL is how long a started sign-in may take. Default 10 minutes.
	StateTTL time.Duration `json:"stateTtl,omitempty"`
	// Mapping maps the claims to a user's fields and roles.
	Mapping Mapping `json:"mapping,omitzero"`
}

// Option sets a dependency of a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client for every request to the provider
// (discovery, keys, token, userinfo). Default http.DefaultClient.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.hc = hc
		}
	}
}

// WithLogger sets the logger. Default: discard. Tokens, codes, states and
// nonces are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *Client) {
		if l != nil {
			c.log = l
		}
	}
}

// WithClock sets the clock that expiry is checked against. Default
// time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *Client) {
		if now != nil {
			c.now = now
		}
	}
}

// WithStateStore sets where pending sign-ins are kept. Default a
// MemoryStates, which serves one process only; use SQLStates when
// several processes serve the sign-in.
func WithStateStore(s StateStore) Option {
	return func(c *Client) {
		if s != nil {
			c.states = s
		}
	}
}

// WithGroupResolver sets how groups are resolved when the ID token
// carries an Azure AD group overage instead of its groups (see
// AzureGroups). Default none: such a sign-in is refused with ErrGroups.
func WithGroupResolver(r GroupResolver) Option {
	return func(c *Client) { c.groups = r }
}

// checkURL checks an absolute http(s) URL.
func checkURL(field, v string, required bool) error {
	if v == "" {
		if required {
			return fmt.Errorf("claims: missing required field %q", field)
		}
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("claims: %s %q is not an absolute http(s) URL", field, v)
	}
	return nil
}

// withDefaults checks cfg and applies its defaults; the error names every
// problem.
func (cfg Config) withDefaults() (Config, *mapper, error) {
	var errs []error
	if strings.TrimSpace(cfg.ClientID) == "" {
		errs = append(errs, errors.New(`claims: missing required field "ClientID"`))
	}
	for _, f := range []struct {
		name, v  string
		required bool
	}{
		{"Issuer", cfg.Issuer, true}, {"RedirectURL", cfg.RedirectURL, true},
		{"AuthURL", cfg.AuthURL, false}, {"TokenURL", cfg.TokenURL, false},
		{"UserInfoURL", cfg.UserInfoURL, false}, {"JWKSURL", cfg.JWKSURL, false},
	} {
		if err := checkURL(f.name, f.v, f.required); err != nil {
			errs = append(errs, err)
		}
	}
	if cfg.Name == "" {
		cfg.Name = DefaultName
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = DefaultScopes()
	} else if !slices.Contains(cfg.Scopes, "openid") {
		cfg.Scopes = append([]string{"openid"}, cfg.Scopes...)
	}
	switch cfg.ResponseType {
	case "":
		cfg.ResponseType = ResponseCode
	case ResponseCode:
	case ResponseIDToken:
		if cfg.UserInfo {
			errs = append(errs, errors.New("claims: UserInfo needs ResponseType \"code\" (an id_token response has no access token)"))
		}
	default:
		errs = append(errs, fmt.Errorf("claims: ResponseType %q is neither %q nor %q", cfg.ResponseType, ResponseCode, ResponseIDToken))
	}
	for _, a := range cfg.SigningAlgorithms {
		if a == "none" || strings.HasPrefix(a, "HS") {
			errs = append(errs, fmt.Errorf("claims: SigningAlgorithms: %q is not allowed (an ID token must be signed with the provider's key)", a))
		}
	}
	if cfg.StateTTL <= 0 {
		cfg.StateTTL = DefaultStateTTL
	}
	m, err := cfg.Mapping.compile()
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, nil, err
	}
	return cfg, m, nil
}

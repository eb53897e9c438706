package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/usher-sdk/usher/directory"
)

// Defaults of Config.
const (
	DefaultBaseURL      = "https://graph.microsoft.com/v1.0"
	DefaultScope        = "https://graph.microsoft.com/.default"
	DefaultPageSize     = 999
	DefaultMaxRetries   = 5
	DefaultMaxRetryWait = 2 * time.Minute
)

// Config configures an Azure AD source.
type Config struct {
	// Name identifies the source. Default "azuread".
	Name string `json:"name,omitempty"`
	// TenantID is the directory (tenant) ID. Required.
	TenantID string `json:"tenantId"`
	// ClientID is the application (client) ID. Required.
	ClientID string `json:"clientId"`
	// ClientSecret is the application's client secret. Required.
	ClientSecret string `json:"clientSecret"`
	// GroupID is the object ID of a security group; when set, the scope is
	// the group's transitive members. Default: every user of the tenant.
	GroupID string `json:"groupId,omitempty"`
	// Mapping names the Graph user property behind each field; empty
	// fields keep directory.GraphMapping's defaults (fullName displayName,
	// corporateEmail userPrincipalName, personalEmail otherMails, phone
	// mobilePhone, groups department, roles employeeType).
	Mapping directory.Mapping `json:"mapping,omitzero"`
	// BaseURL is the Graph root. Default DefaultBaseURL.
	BaseURL string `json:"baseUrl,omitempty"`
	// TokenURL is the token endpoint. Default
	// https://login.microsoftonline.com/{TenantID}/oauth2/v2.0/token.
	TokenURL string `json:"tokenUrl,omitempty"`
	// Scopes of the token. Default [DefaultScope].
	Scopes []string `json:"scopes,omitempty"`
	// PageSize is the $top of list requests, 1 to 999. Default 999.
	PageSize int `json:"pageSize,omitempty"`
	// MaxRetries bounds the retries of a throttled request. Default 5;
	// negative means none.
	MaxRetries int `json:"maxRetries,omitempty"`
	// MaxRetryWait caps one wait between retries, whatever Retry-After
	// says. Default 2 minutes.
	MaxRetryWait time.Duration `json:"maxRetryWait,omitempty"`
}

// Option sets a dependency of a Source.
type Option func(*Source)

// WithHTTPClient sets the HTTP client for Graph and the token endpoint.
// Default http.DefaultClient.
func WithHTTPClient(c *http.Client) Option {
	return func(s *Source) {
		if c != nil {
			s.hc = c
		}
	}
}

// WithLogger sets the logger. Default: discard. Tokens and secrets are
// never logged.
func WithLogger(l *slog.Logger) Option {
	return func(s *Source) {
		if l != nil {
			s.log = l
		}
	}
}

// WithSleep replaces the wait between retries (tests use it to record the
// waits instead of sleeping). It must return ctx.Err() if ctx ends first.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(s *Source) {
		if sleep != nil {
			s.sleep = sleep
		}
	}
}

// Source reads users from Microsoft Graph. It is a directory.Source and a
// directory.ChangeSource, safe for concurrent use. It cannot check
// passwords (see the package documentation).
type Source struct {
	cfg    Config
	base   *url.URL
	cc     clientcredentials.Config
	hc     *http.Client
	log    *slog.Logger
	sleep  func(context.Context, time.Duration) error
	sel    string // $select value
	fields []string

	mu  sync.Mutex
	tok *oauth2.Token
}

var (
	_ directory.Source       = (*Source)(nil)
	_ directory.ChangeSource = (*Source)(nil)
)

// New checks cfg, applies its defaults and returns a Source. It does not
// contact Graph.
func New(cfg Config, opts ...Option) (*Source, error) {
	var errs []error
	for _, f := range []struct{ name, v string }{{"TenantID", cfg.TenantID}, {"ClientID", cfg.ClientID}, {"ClientSecret", cfg.ClientSecret}} {
		if strings.TrimSpace(f.v) == "" {
			errs = append(errs, fmt.Errorf("graph: missing required field %q", f.name))
		}
	}
	if cfg.Name == "" {
		cfg.Name = "azuread"
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.TokenURL == "" {
		cfg.TokenURL = "https://login.microsoftonline.com/" + url.PathEscape(cfg.TenantID) + "/oauth2/v2.0/token"
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{DefaultScope}
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = DefaultPageSize
	}
	if cfg.PageSize < 1 || cfg.PageSize > 999 {
		errs = append(errs, fmt.Errorf("graph: PageSize %d is outside [1, 999]", cfg.PageSize))
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = DefaultMaxRetries
	}
	if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}
	if cfg.MaxRetryWait <= 0 {
		cfg.MaxRetryWait = DefaultMaxRetryWait
	}
	cfg.Mapping = cfg.Mapping.Merge(directory.GraphMapping())
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		errs = append(errs, fmt.Errorf("graph: BaseURL %q is not an http(s) URL", cfg.BaseURL))
	}
	if u, err := url.Parse(cfg.TokenURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("graph: TokenURL %q is not an http(s) URL", cfg.TokenURL))
	}
	if cfg.GroupID != "" && strings.ContainsAny(cfg.GroupID, "/?#% ") {
		errs = append(errs, fmt.Errorf("graph: GroupID %q is not an object ID", cfg.GroupID))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	s := &Source{
		cfg:  cfg,
		base: base,
		cc: clientcredentials.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, TokenURL: cfg.TokenURL,
			Scopes: cfg.Scopes, AuthStyle: oauth2.AuthStyleInParams,
		},
		hc:    http.DefaultClient,
		log:   slog.New(slog.DiscardHandler),
		sleep: sleepCtx,
	}
	for _, o := range opts {
		o(s)
	}
	s.fields = selectFields(cfg.Mapping)
	s.sel = strings.Join(s.fields, ",")
	return s, nil
}

// Name returns Config.Name (default "azuread").
func (s *Source) Name() string { return s.cfg.Name }

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

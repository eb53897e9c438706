package mail

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Defaults of [M365Config].
const (
	defaultGraphURL     = "https://graph.microsoft.com/v1.0"
	defaultAuthorityURL = "https://login.microsoftonline.com"
	defaultGraphScope   = "https://graph.microsoft.com/.default"
	defaultM365Timeout  = 30 * time.Second
	defaultMaxRetries   = 3
	defaultMaxRetryWait = 60 * time.Second
)

// M365Config configures an [M365] sender: an application registered in
// Microsoft Entra ID with the Mail.Send application permission, sending
// through Microsoft Graph's sendMail as the mailbox From.
type M365Config struct {
	// TenantID, ClientID and ClientSecret are the application's
	// credentials (OAuth 2.0 client credentials grant). Required.
	TenantID     string
	ClientID     string
	ClientSecret string
	// From is the mailbox that sends, a user principal name or SMTP
	// address ("noreply@contoso.com"). A Message's own From sends from
	// that mailbox instead. Required.
	From string
	// SaveToSentItems keeps a copy in the mailbox's Sent Items. Default
	// false: reset links and codes should not pile up in a mailbox.
	SaveToSentItems bool
	// GraphURL is Graph's base URL. Default https://graph.microsoft.com/v1.0.
	GraphURL string
	// TokenURL is the token endpoint. Default
	// https://login.microsoftonline.com/{TenantID}/oauth2/v2.0/token.
	TokenURL string
	// Timeout bounds one Send, retries included. Default 30 s.
	Timeout time.Duration
	// MaxRetries is how often a send answered 429 or 503 is retried after
	// the wait Graph asks for in Retry-After. Default 3;
	// negative: never.
	MaxRetries int
	// MaxRetryWait caps the wait of one retry; a longer Retry-After ends
	// the send with [ErrThrottled]. Default 60 s.
	MaxRetryWait time.Duration
}

// M365 sends mail through Microsoft Graph (POST /users/{from}/sendMail). It
// caches the access token until shortly before it expires. It is safe for
// concurrent use.
type M365 struct {
	cfg  M365Config
	from *netmail.Address
	cc   clientcredentials.Config
	opts options

	// tokenSem (capacity 1) lets one Send fetch a token while the others
	// wait for it, each no longer than its own context allows.
	tokenSem chan struct{}
	token    *oauth2.Token // guarded by tokenSem
}

// NewM365 checks cfg, applies its defaults and returns the sender. All
// problems are reported at once; each wraps [ErrConfig].
func NewM365(cfg M365Config, opts ...Option) (*M365, error) {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("mail: m365: "+format+": %w", append(a, ErrConfig)...))
	}
	for _, f := range []struct{ name, value string }{
		{"TenantId", cfg.TenantID}, {"ClientId", cfg.ClientID}, {"ClientSecret", cfg.ClientSecret}, {"From", cfg.From},
	} {
		if f.value == "" {
			bad("missing required field %q", f.name)
		}
	}
	if cfg.TenantID != "" && strings.ContainsAny(cfg.TenantID, "/?#%@ \t\r\n") {
		bad("bad TenantId %q", cfg.TenantID)
	}
	var from *netmail.Address
	if cfg.From != "" {
		a, err := ParseAddress(cfg.From)
		if err != nil {
			bad("bad From %q", cfg.From)
		}
		from = a
	}
	for _, u := range []struct{ name, value string }{{"GraphURL", cfg.GraphURL}, {"TokenURL", cfg.TokenURL}} {
		if u.value == "" {
			continue
		}
		if p, err := url.Parse(u.value); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			bad("bad %s %q", u.name, u.value)
		}
	}
	if cfg.Timeout < 0 {
		bad("negative Timeout %s", cfg.Timeout)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if cfg.GraphURL == "" {
		cfg.GraphURL = defaultGraphURL
	}
	cfg.GraphURL = strings.TrimSuffix(cfg.GraphURL, "/")
	if cfg.TokenURL == "" {
		cfg.TokenURL = defaultAuthorityURL + "/" + url.PathEscape(cfg.TenantID) + "/oauth2/v2.0/token"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = defaultM365Timeout
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = defaultMaxRetries
	}
	if cfg.MaxRetryWait <= 0 {
		cfg.MaxRetryWait = defaultMaxRetryWait
	}
	return &M365{
		cfg:  cfg,
		from: from,
		cc: clientcredentials.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			TokenURL:     cfg.TokenURL,
			Scopes:       []string{defaultGraphScope},
			AuthStyle:    oauth2.AuthStyleInParams,
		},
		opts:     newOptions(opts),
		tokenSem: make(chan struct{}, 1),
	}, nil
}

// The JSON of Graph's sendMail request.
// https://learn.microsoft.com/en-us/graph/api/user-sendmail
type graphSendMail struct {
	Message         graphMessage `json:"message"`
	SaveToSentItems bool         `json:"saveToSentItems"`
}

type graphMessage struct {
	Subject      string           `json:"subject"`
	Body         graphBody        `json:"body"`
	ToRecipients []graphRecipient `json:"toRecipients"`
}

type graphBody struct {
	ContentType string `json:"contentType"` // "Text" or "HTML"
	Content     string `json:"content"`
}

type graphRecipient struct {
	EmailAddress graphAddress `json:"emailAddress"`
}

type graphAddress struct {
	Address string `json:"address"`
	Name    string `json:"name,omitempty"`
}

// Send delivers m through Graph. Graph's message has one body: the HTML
// body when m has one, else the text. It validates m first
// ([ErrInvalidMessage]: nothing is sent). A refused token or a 401/403 is
// [ErrAuth]; Graph's error answers are [*GraphError]; 429 and 503 are
// retried after Retry-After, up to MaxRetries, then [ErrThrottled].
func (s *M365) Send(ctx context.Context, m Message) error {
	p, err := prepare(m, s.from)
	if err != nil {
		return err
	}
	req := graphSendMail{
		Message: graphMessage{
			Subject: p.subject,
			Body:    graphBody{ContentType: "Text", Content: p.text},
		},
		SaveToSentItems: s.cfg.SaveToSentItems,
	}
	if p.html != "" {
		req.Message.Body = graphBody{ContentType: "HTML", Content: p.html}
	}
	for _, a := range p.to {
		req.Message.ToRecipients = append(req.Message.ToRecipients, graphRecipient{graphAddress{Address: a.Address, Name: a.Name}})
	}
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("mail: m365: %w", err)
	}
	endpoint := s.cfg.GraphURL + "/users/" + url.PathEscape(p.from.Address) + "/sendMail"

	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	for attempt := 0; ; attempt++ {
		gerr, err := s.post(ctx, endpoint, body)
		if err != nil {
			return err
		}
		if gerr == nil {
			s.opts.logger.DebugContext(ctx, "mail: sent", slog.String("via", "m365"),
				slog.String("from", p.from.Address), slog.Int("recipients", len(p.to)))
			return nil
		}
		if gerr.StatusCode != http.StatusTooManyRequests && gerr.StatusCode != http.StatusServiceUnavailable {
			return gerr
		}
		wait := gerr.RetryAfter
		if wait == 0 {
			wait = time.Second << attempt // no Retry-After: back off exponentially
		}
		if attempt >= s.cfg.MaxRetries || wait > s.cfg.MaxRetryWait {
			return gerr
		}
		if dl, ok := ctx.Deadline(); ok && s.opts.now().Add(wait).After(dl) {
			return gerr
		}
		s.opts.logger.InfoContext(ctx, "mail: m365: throttled, retrying",
			slog.Int("status", gerr.StatusCode), slog.Duration("wait", wait), slog.Int("attempt", attempt+1))
		if err := s.opts.sleep(ctx, wait); err != nil {
			return fmt.Errorf("mail: m365: waiting to retry: %w (%w)", err, gerr)
		}
	}
}

// post sends once. A Graph error answer is returned as *GraphError, a
// failure to get there (token, network) as error.
func (s *M365) post(ctx context.Context, endpoint string, body []byte) (*GraphError, error) {
	tok, err := s.accessToken(ctx)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("mail: m365: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	tok.SetAuthHeader(req)
	resp, err := s.opts.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("mail: m365: sendMail: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusAccepted || resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusNoContent {
		return nil, nil
	}
	gerr := parseGraphError(resp, raw, s.opts.now())
	if gerr.StatusCode == http.StatusUnauthorized {
		s.dropToken(ctx, tok) // perhaps revoked: the next Send fetches a new one
	}
	return gerr, nil
}

// parseGraphError reads Graph's error object
// ({"error":{"code":"...","message":"..."}}) and the Retry-After header,
// given in seconds or as an HTTP date.
func parseGraphError(resp *http.Response, raw []byte, now time.Time) *GraphError {
	ge := &GraphError{StatusCode: resp.StatusCode, RequestID: resp.Header.Get("request-id")}
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(raw, &body) == nil && (body.Error.Code != "" || body.Error.Message != "") {
		ge.Code, ge.Message = body.Error.Code, body.Error.Message
	} else {
		ge.Message = strings.TrimSpace(string(raw))
		if len(ge.Message) > 200 {
			ge.Message = ge.Message[:200] + "…"
		}
	}
	if ra := strings.TrimSpace(resp.Header.Get("Retry-After")); ra != "" {
		if secs, err := strconv.Atoi(ra); err == nil && secs >= 0 {
			ge.RetryAfter = time.Duration(secs) * time.Second
		} else if t, err := http.ParseTime(ra); err == nil && t.After(now) {
			ge.RetryAfter = t.Sub(now)
		}
	}
	return ge
}

// accessToken returns the cached token or fetches a new one, honouring ctx.
func (s *M365) accessToken(ctx context.Context) (*oauth2.Token, error) {
	select {
	case s.tokenSem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("mail: m365: waiting for a token: %w", ctx.Err())
	}
	defer func() { <-s.tokenSem }()
	if s.token.Valid() {
		return s.token, nil
	}
	// x/oauth2 takes its HTTP client from the context; nothing else is
	// carried that way.
	tok, err := s.cc.Token(context.WithValue(ctx, oauth2.HTTPClient, s.opts.client))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			detail := re.ErrorCode
			if re.ErrorDescription != "" {
				detail += ": " + re.ErrorDescription
			}
			if detail == "" && re.Response != nil {
				detail = re.Response.Status
			}
			return nil, fmt.Errorf("mail: m365: token endpoint refused the client credentials (%s): %w", detail, ErrAuth)
		}
		return nil, fmt.Errorf("mail: m365: get token: %w", err)
	}
	s.token = tok
	return tok, nil
}

// dropToken forgets the cached token if it is still stale, the one Graph
// refused; a newer one fetched meanwhile stays.
func (s *M365) dropToken(ctx context.Context, stale *oauth2.Token) {
	select {
	case s.tokenSem <- struct{}{}:
	case <-ctx.Done():
		return
	}
	if s.token == stale {
		s.token = nil
	}
	<-s.tokenSem
}

var _ Sender = (*M365)(nil)

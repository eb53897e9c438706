package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"text/template"
	"time"
)

// DefaultWebhookTimeout bounds one webhook request unless
// [WebhookConfig.Timeout] says otherwise.
const DefaultWebhookTimeout = 10 * time.Second

// maxResponse bounds how much of a response body is read (and discarded).
const maxResponse = 64 << 10

// WebhookConfig configures [NewWebhook]. URL is required.
//
// URL, each Headers value and Body are Go text/template templates over a
// value with the string fields .To, .Text and .Code of the [Message].
// The values are escaped for where they go before the template sees
// them, so the template writes them plainly ("{{.To}}"), and a value can
// never add structure:
//
//   - In URL, every value is percent-encoded as by url.QueryEscape, with
//     spaces as %20 and dots as %2E, so it is one opaque query value or
//     path segment: it cannot add parameters, segments, "..", a fragment
//     or a host. A value in the scheme, host or user part is refused (the
//     rendered URL must have the scheme, user and host the template has
//     with empty values), and that scheme must be http or https.
//   - In a header value, a value is written as it is; a rendered header
//     value with CR, LF or another control character but tab is refused,
//     so a value cannot add a header.
//   - In Body, the escaping follows ContentType: application/json and
//     */*+json escape values as the inside of a JSON string (write
//     "{{.Text}}" within quotes); application/x-www-form-urlencoded
//     escapes them as url.Values.Encode does; application/xml, text/xml
//     and */*+xml escape them as XML character data; text/plain writes
//     them as they are. A Body with any other ContentType is refused.
type WebhookConfig struct {
	// Method is the HTTP method; default POST.
	Method string
	// URL is the template of the request URL, for instance
	// "https://gw.example/send?to={{.To}}&text={{.Text}}".
	URL string
	// Headers are templates of request header values, keyed by header
	// name. Their values are never logged (they often carry
	// Authorization).
	Headers map[string]string
	// Body is the template of the request body; empty means none.
	Body string
	// ContentType is the request's Content-Type and chooses the Body
	// escaping; required when Body is set.
	ContentType string
	// Timeout bounds one request; default 10 seconds.
	Timeout time.Duration
}

// WebhookOption sets a dependency of a [Webhook].
type WebhookOption func(*Webhook)

// WithHTTPClient makes the webhook use client. The default client has no
// cookie jar and follows no redirects (a redirect is an error, as is any
// non-2xx status).
func WithHTTPClient(client *http.Client) WebhookOption {
	return func(w *Webhook) { w.client = client }
}

// WithLogger makes the webhook log each request's outcome at Debug (and
// failures at Warn) to logger, without the message, the URL's query or
// any header; default none.
func WithLogger(logger *slog.Logger) WebhookOption {
	return func(w *Webhook) { w.log = logger }
}

// Webhook is a [Sender] that makes one HTTP request per message, built
// from the templates of a [WebhookConfig]. Create it with [NewWebhook];
// it is safe for concurrent use.
type Webhook struct {
	method  string
	url     *template.Template
	headers map[string]*template.Template
	body    *template.Template
	bodyEsc func(string) string
	ctype   string
	timeout time.Duration
	scheme  string
	host    string
	user    string
	client  *http.Client
	log     *slog.Logger
	logHost string
}

// StatusError is the error of a webhook request that was answered with a
// status other than 2xx. It does not hold the response body.
type StatusError struct {
	// StatusCode is the HTTP status code.
	StatusCode int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("sms: webhook answered %d %s", e.StatusCode, http.StatusText(e.StatusCode))
}

// templateData is what the templates see; its fields are already escaped.
type templateData struct{ To, Text, Code string }

// NewWebhook checks cfg and returns a [Webhook]. It reports every problem
// at once.
func NewWebhook(cfg WebhookConfig, opts ...WebhookOption) (*Webhook, error) {
	w := &Webhook{
		method:  cfg.Method,
		timeout: cfg.Timeout,
		headers: make(map[string]*template.Template, len(cfg.Headers)),
		ctype:   cfg.ContentType,
	}
	if w.method == "" {
		w.method = http.MethodPost
	}
	if w.timeout == 0 {
		w.timeout = DefaultWebhookTimeout
	}
	var errs []error
	if !isToken(w.method) {
		errs = append(errs, fmt.Errorf("sms: Method %q is not an HTTP method", w.method))
	}
	if w.timeout < 0 {
		errs = append(errs, errors.New("sms: negative Timeout"))
	}
	var err error
	if cfg.URL == "" {
		errs = append(errs, errors.New("sms: missing required field \"URL\""))
	} else if w.url, err = parseTemplate("url", cfg.URL); err != nil {
		errs = append(errs, err)
	} else if ref, err := execString(w.url, templateData{}); err != nil {
		errs = append(errs, fmt.Errorf("sms: URL template: %w", err))
	} else if u, err := url.Parse(ref); err != nil {
		errs = append(errs, errors.New("sms: URL template does not give a URL"))
	} else if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, errors.New("sms: URL must be http or https with a host"))
	} else {
		w.scheme, w.host, w.user = u.Scheme, u.Host, u.User.String()
		w.logHost = u.Host // never the path or query: they may hold tokens
	}
	for name, value := range cfg.Headers {
		switch ck := http.CanonicalHeaderKey(name); {
		case !isToken(name):
			errs = append(errs, fmt.Errorf("sms: header name %q is not a token", name))
		case ck == "Host" || ck == "Content-Length" || ck == "Transfer-Encoding":
			errs = append(errs, fmt.Errorf("sms: header %q cannot be set", name))
		case ck == "Content-Type" && cfg.ContentType != "":
			errs = append(errs, errors.New("sms: Content-Type both in Headers and ContentType"))
		default:
			t, err := parseTemplate("header "+name, value)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			w.headers[ck] = t
		}
	}
	if cfg.ContentType != "" {
		if _, _, err := mime.ParseMediaType(cfg.ContentType); err != nil || !validHeaderValue(cfg.ContentType) {
			errs = append(errs, fmt.Errorf("sms: ContentType %q is not a media type", cfg.ContentType))
		}
	}
	if cfg.Body != "" {
		esc, err := bodyEscaper(cfg.ContentType)
		if err != nil {
			errs = append(errs, err)
		}
		w.bodyEsc = esc
		if w.body, err = parseTemplate("body", cfg.Body); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, o := range opts {
		o(w)
	}
	if w.client == nil {
		w.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	// Try every template once so that a bad field shows now, not at the
	// first SMS.
	sample := Message{To: "+10000000000", Text: "t", Code: "0"}
	if _, err := w.request(context.Background(), sample); err != nil {
		return nil, err
	}
	return w, nil
}

// Send implements [Sender]: it renders the request for msg, sends it and
// succeeds on a 2xx answer. Other answers give a [*StatusError]; a
// transport error is wrapped without the URL, which may carry secrets.
func (w *Webhook) Send(ctx context.Context, msg Message) error {
	if err := checkMessage(msg); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := w.request(ctx, msg)
	if err != nil {
		return err
	}
	resp, err := w.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		w.log.WarnContext(ctx, "sms: webhook request failed", "host", w.logHost, "error", err)
		return fmt.Errorf("sms: webhook %s %s: %w", w.method, w.logHost, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponse))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		w.log.WarnContext(ctx, "sms: webhook refused the message", "host", w.logHost, "status", resp.StatusCode)
		return &StatusError{StatusCode: resp.StatusCode}
	}
	w.log.DebugContext(ctx, "sms: webhook accepted the message", "host", w.logHost, "status", resp.StatusCode)
	return nil
}

// request renders the HTTP request for msg.
func (w *Webhook) request(ctx context.Context, msg Message) (*http.Request, error) {
	raw, err := execString(w.url, templateData{To: urlEscape(msg.To), Text: urlEscape(msg.Text), Code: urlEscape(msg.Code)})
	if err != nil {
		return nil, fmt.Errorf("sms: URL template: %w", err)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != w.scheme || u.Host != w.host || u.User.String() != w.user {
		return nil, errors.New("sms: rendered URL changes the template's scheme, host or user")
	}
	var body io.Reader
	if w.body != nil {
		e := w.bodyEsc
		b, err := execString(w.body, templateData{To: e(msg.To), Text: e(msg.Text), Code: e(msg.Code)})
		if err != nil {
			return nil, fmt.Errorf("sms: body template: %w", err)
		}
		body = bytes.NewReader([]byte(b))
	}
	req, err := http.NewRequestWithContext(ctx, w.method, u.String(), body)
	if err != nil {
		return nil, errors.New("sms: cannot build the webhook request")
	}
	plain := templateData(msg) // header values are checked, not escaped
	for name, t := range w.headers {
		v, err := execString(t, plain)
		if err != nil {
			return nil, fmt.Errorf("sms: header %s template: %w", name, err)
		}
		if !validHeaderValue(v) {
			return nil, fmt.Errorf("sms: header %s: value with a control character refused", name)
		}
		req.Header.Set(name, v)
	}
	if w.ctype != "" {
		req.Header.Set("Content-Type", w.ctype)
	}
	return req, nil
}

// bodyEscaper chooses the body escaping for a content type.
func bodyEscaper(contentType string) (func(string) string, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, errors.New("sms: a Body needs a ContentType")
	}
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		return jsonEscape, nil
	case mt == "application/x-www-form-urlencoded":
		return url.QueryEscape, nil
	case mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml"):
		return xmlEscape, nil
	case mt == "text/plain":
		return func(s string) string { return s }, nil
	}
	return nil, fmt.Errorf("sms: no Body escaping known for ContentType %q", mt)
}

// urlEscape makes s one opaque URL path segment or query value.
func urlEscape(s string) string {
	s = url.QueryEscape(s)
	s = strings.ReplaceAll(s, "+", "%20")
	return strings.ReplaceAll(s, ".", "%2E")
}

// jsonEscape writes s as the inside of a JSON string.
func jsonEscape(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b[1 : len(b)-1])
}

// xmlEscape writes s as XML character data (quotes included, so it also
// fits in an attribute).
func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func parseTemplate(name, text string) (*template.Template, error) {
	t, err := template.New(name).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("sms: %s template: %w", name, err)
	}
	return t, nil
}

func execString(t *template.Template, data templateData) (string, error) {
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}

// validHeaderValue refuses control characters other than tab.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// isToken reports whether s is an RFC 9110 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

var _ Sender = (*Webhook)(nil)

package callback

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// Bounds of a callback's configuration.
const (
	// MaxHeaders is the most headers a callback may set (32).
	MaxHeaders = 32
	// maxHeaderName is the longest header name.
	maxHeaderName = 256
	// maxSecretField bounds Auth's Value, ClientID, ClientSecret and each
	// scope.
	maxSecretField = 8 << 10
	// maxScopes is the most scopes of client credentials.
	maxScopes = 32
)

// the body's content types and their templates.
const (
	typeJSON = "application/json"
	typeForm = "application/x-www-form-urlencoded"
	typeText = "text/plain"
)

var events = map[string]bool{
	"Create": true, "Approve": true, "Deny": true, "Response": true, "Error": true, "Any": true,
}

var methods = map[string]bool{
	http.MethodGet: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true,
}

// reserved are the headers that Usher sets and a callback may not.
var reserved = map[string]bool{
	"Host": true, "Content-Type": true, "Content-Length": true,
	"Transfer-Encoding": true, "Connection": true, "Te": true, "Trailer": true, "Upgrade": true,
	http.CanonicalHeaderKey(HeaderID):        true,
	http.CanonicalHeaderKey(HeaderTimestamp): true,
	http.CanonicalHeaderKey(HeaderSignature): true,
}

// Prepared is a Callback validated and with its templates parsed, to be
// sent any number of times with Client.Send. It is immutable and safe for
// concurrent use.
type Prepared struct {
	cb          Callback
	method      string
	url         *Template
	scheme      string // of the URL, which no value changes
	host        string
	headers     []header
	body        *Template
	contentType string
}

type header struct {
	name string // canonical
	tmpl *Template
}

// Callback returns the callback p was prepared from.
func (p *Prepared) Callback() Callback { return p.cb }

// Validate checks the callback; see Prepare.
func (cb Callback) Validate() error {
	_, err := Prepare(cb)
	return err
}

// Prepare validates cb and parses its templates. It reports every
// problem at once (errors.Join), each wrapping ErrInvalid:
//   - Event is one of Create, Approve, Deny, Response, Error and Any;
//   - Method is GET, POST, PUT, PATCH or DELETE (empty means POST), and a
//     GET has no body;
//   - URL parses with ParseURL (absolute http or https, variables only in
//     the path, query and fragment);
//   - at most MaxHeaders headers, with valid names (RFC 9110 tokens)
//     other than Host, Content-Type, Content-Length, the hop-by-hop
//     headers and the webhook-* ones, and values that ParseHeader takes;
//   - ContentType is empty (application/json), application/json or a
//     "+json" type (Body parsed by ParseJSON and then valid JSON),
//     application/x-www-form-urlencoded (ParseForm) or text/plain (Parse,
//     values as they are);
//   - Auth: for AuthNone nothing else set; for AuthHeader a valid,
//     unreserved Header name that Headers does not also set and a Value
//     without control characters; for AuthOAuth2 an https TokenURL (or
//     http on a loopback address), a ClientID, and no Authorization in
//     Headers.
func Prepare(cb Callback) (*Prepared, error) {
	p := &Prepared{cb: cb, method: cb.Method}
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...))
	}
	if !events[cb.Event] {
		bad("event %q is not Create, Approve, Deny, Response, Error or Any", cb.Event)
	}
	if p.method == "" {
		p.method = http.MethodPost
	}
	if !methods[p.method] {
		bad("method %q is not GET, POST, PUT, PATCH or DELETE", cb.Method)
	}
	var err error
	if p.url, err = ParseURL(cb.URL); err != nil {
		errs = append(errs, err)
	} else {
		u, _ := url.Parse(p.url.sample()) // ParseURL checked it
		p.scheme, p.host = u.Scheme, u.Host
	}
	if len(cb.Headers) > MaxHeaders {
		bad("more than %d headers", MaxHeaders)
	} else {
		names := make([]string, 0, len(cb.Headers))
		for name := range cb.Headers {
			names = append(names, name)
		}
		sort.Strings(names)
		seen := map[string]bool{}
		for _, name := range names {
			canon := http.CanonicalHeaderKey(name)
			switch {
			case !validHeaderName(name):
				bad("header name %q is not a token", name)
				continue
			case reserved[canon]:
				bad("header %q is set by Usher", name)
				continue
			case seen[canon]:
				bad("header %q given twice", name)
				continue
			}
			seen[canon] = true
			t, err := ParseHeader(cb.Headers[name])
			if err != nil {
				errs = append(errs, fmt.Errorf("header %q: %w", name, err))
				continue
			}
			p.headers = append(p.headers, header{name: canon, tmpl: t})
		}
	}
	errs = append(errs, p.prepareBody()...)
	errs = append(errs, checkAuth(cb.Auth, cb.Headers)...)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Prepared) prepareBody() []error {
	cb := p.cb
	ct := cb.ContentType
	if ct == "" {
		ct = typeJSON
	}
	p.contentType = ct
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || !validHeaderValue(ct) {
		return []error{fmt.Errorf("%w: content type %q", ErrInvalid, ct)}
	}
	if cb.Body != "" && p.method == http.MethodGet {
		return []error{fmt.Errorf("%w: a GET callback has no body", ErrInvalid)}
	}
	switch {
	case mt == typeJSON || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"):
		p.body, err = ParseJSON(cb.Body)
		if err == nil && cb.Body != "" && !json.Valid([]byte(p.body.sample())) {
			err = fmt.Errorf("%w: body is not JSON", ErrInvalid)
		}
	case mt == typeForm:
		p.body, err = ParseForm(cb.Body)
	case mt == typeText:
		p.body, err = Parse(cb.Body)
	default:
		err = fmt.Errorf("%w: content type %q is not JSON, a form or text/plain", ErrInvalid, mt)
	}
	if err != nil {
		return []error{fmt.Errorf("body: %w", err)}
	}
	return nil
}

func checkAuth(a Auth, headers map[string]string) []error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: auth: "+format, append([]any{ErrInvalid}, args...)...))
	}
	hasHeader := func(name string) bool {
		for h := range headers {
			if strings.EqualFold(h, name) {
				return true
			}
		}
		return false
	}
	oauthSet := a.TokenURL != "" || a.ClientID != "" || a.ClientSecret != "" || len(a.Scopes) > 0
	switch a.Kind {
	case AuthNone:
		if a.Header != "" || a.Value != "" || oauthSet {
			bad("kind none with header or client credentials settings")
		}
	case AuthHeader:
		switch canon := http.CanonicalHeaderKey(a.Header); {
		case !validHeaderName(a.Header):
			bad("header name %q is not a token", a.Header)
		case reserved[canon]:
			bad("header %q is set by Usher", a.Header)
		case hasHeader(a.Header):
			bad("header %q is also among the headers", a.Header)
		}
		if a.Value == "" || len(a.Value) > maxSecretField || !validHeaderValue(a.Value) {
			bad("header value empty, too long or with a control character")
		}
		if oauthSet {
			bad("kind header with client credentials settings")
		}
	case AuthOAuth2:
		if err := checkTokenURL(a.TokenURL); err != nil {
			bad("token URL: %v", err)
		}
		if a.ClientID == "" || len(a.ClientID) > maxSecretField || len(a.ClientSecret) > maxSecretField {
			bad("client ID empty, or client ID or secret too long")
		}
		if len(a.Scopes) > maxScopes {
			bad("more than %d scopes", maxScopes)
		}
		for _, s := range a.Scopes {
			if s == "" || len(s) > maxSecretField || strings.ContainsAny(s, " \t\r\n") {
				bad("scope empty, too long or with a space")
				break
			}
		}
		if a.Header != "" || a.Value != "" {
			bad("kind client_credentials with header settings")
		}
		if hasHeader("Authorization") {
			bad("Authorization among the headers of a client_credentials callback")
		}
	default:
		bad("kind %q is not \"\", header or client_credentials", a.Kind)
	}
	return errs
}

// checkTokenURL requires https, or http to a loopback address (a token
// endpoint on the same machine).
func checkTokenURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("does not parse")
	}
	if u.Host == "" || u.User != nil {
		return errors.New("not an absolute URL without user info")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if host == "localhost" {
			return nil
		}
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			return nil
		}
		return errors.New("http only to a loopback address")
	}
	return errors.New("not https")
}

// validHeaderName reports whether name is an RFC 9110 token.
func validHeaderName(name string) bool {
	if name == "" || len(name) > maxHeaderName {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

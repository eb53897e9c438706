package callback

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	good := Callback{Event: "Approve", URL: "https://h.example/cb/{uuid}", Body: `{"u":"{username}"}`}
	tests := []struct {
		name   string
		change func(*Callback)
		ok     bool
	}{
		{"good", func(*Callback) {}, true},
		{"every event", func(c *Callback) { c.Event = "Any" }, true},
		{"event", func(c *Callback) { c.Event = "approve" }, false},
		{"no event", func(c *Callback) { c.Event = "" }, false},
		{"method put", func(c *Callback) { c.Method = "PUT" }, true},
		{"method", func(c *Callback) { c.Method = "TRACE" }, false},
		{"get with body", func(c *Callback) { c.Method = "GET" }, false},
		{"get without body", func(c *Callback) { c.Method, c.Body = "GET", "" }, true},
		{"relative URL", func(c *Callback) { c.URL = "/cb" }, false},
		{"ftp URL", func(c *Callback) { c.URL = "ftp://h.example/" }, false},
		{"var in host", func(c *Callback) { c.URL = "https://{host}/" }, false},
		{"header", func(c *Callback) { c.Headers = map[string]string{"X-User": "{username}"} }, true},
		{"header name", func(c *Callback) { c.Headers = map[string]string{"X User": "v"} }, false},
		{"header crlf", func(c *Callback) { c.Headers = map[string]string{"X-A": "v\r\nX-B: 1"} }, false},
		{"reserved header", func(c *Callback) { c.Headers = map[string]string{"webhook-id": "v"} }, false},
		{"content-type header", func(c *Callback) { c.Headers = map[string]string{"content-type": "text/plain"} }, false},
		{"host header", func(c *Callback) { c.Headers = map[string]string{"Host": "evil"} }, false},
		{"same header twice", func(c *Callback) { c.Headers = map[string]string{"X-A": "1", "x-a": "2"} }, false},
		{"too many headers", func(c *Callback) {
			c.Headers = map[string]string{}
			for i := range MaxHeaders + 1 {
				c.Headers["X-"+strings.Repeat("a", i+1)] = "v"
			}
		}, false},
		{"json body invalid", func(c *Callback) { c.Body = `{"u":` }, false},
		{"json var outside string", func(c *Callback) { c.Body = `{"u":{username}}` }, true},
		{"json var after backslash", func(c *Callback) { c.Body = `{"u":"\{username}"}` }, false},
		{"problem+json", func(c *Callback) { c.ContentType = "application/vnd.x+json; charset=utf-8" }, true},
		{"form", func(c *Callback) { c.ContentType, c.Body = "application/x-www-form-urlencoded", "u={username}" }, true},
		{"text", func(c *Callback) { c.ContentType, c.Body = "text/plain", "hi {username}" }, true},
		{"xml", func(c *Callback) { c.ContentType = "application/xml" }, false},
		{"bad content type", func(c *Callback) { c.ContentType = "a b" }, false},
		{"auth header", func(c *Callback) { c.Auth = Auth{Kind: AuthHeader, Header: "Authorization", Value: "Bearer t"} }, true},
		{"auth header no value", func(c *Callback) { c.Auth = Auth{Kind: AuthHeader, Header: "Authorization"} }, false},
		{"auth header crlf", func(c *Callback) { c.Auth = Auth{Kind: AuthHeader, Header: "X-T", Value: "a\nb"} }, false},
		{"auth header reserved", func(c *Callback) { c.Auth = Auth{Kind: AuthHeader, Header: "Webhook-Signature", Value: "t"} }, false},
		{"auth header content-type", func(c *Callback) { c.Auth = Auth{Kind: AuthHeader, Header: "Content-Type", Value: "t"} }, false},
		{"auth header also in headers", func(c *Callback) {
			c.Auth = Auth{Kind: AuthHeader, Header: "X-T", Value: "t"}
			c.Headers = map[string]string{"x-t": "v"}
		}, false},
		{"auth header with oauth fields", func(c *Callback) {
			c.Auth = Auth{Kind: AuthHeader, Header: "X-T", Value: "t", ClientID: "c"}
		}, false},
		{"none with fields", func(c *Callback) { c.Auth = Auth{Value: "t"} }, false},
		{"oauth", func(c *Callback) {
			c.Auth = Auth{Kind: AuthOAuth2, TokenURL: "https://idp.example/token", ClientID: "c", ClientSecret: "s", Scopes: []string{"cb"}}
		}, true},
		{"oauth loopback http", func(c *Callback) {
			c.Auth = Auth{Kind: AuthOAuth2, TokenURL: "http://127.0.0.1:9/token", ClientID: "c"}
		}, true},
		{"oauth localhost http", func(c *Callback) { c.Auth = Auth{Kind: AuthOAuth2, TokenURL: "http://localhost/t", ClientID: "c"} }, true},
		{"oauth remote http", func(c *Callback) { c.Auth = Auth{Kind: AuthOAuth2, TokenURL: "http://idp.example/t", ClientID: "c"} }, false},
		{"oauth no client", func(c *Callback) { c.Auth = Auth{Kind: AuthOAuth2, TokenURL: "https://idp.example/t"} }, false},
		{"oauth bad scope", func(c *Callback) {
			c.Auth = Auth{Kind: AuthOAuth2, TokenURL: "https://idp.example/t", ClientID: "c", Scopes: []string{"a b"}}
		}, false},
		{"oauth with authorization header", func(c *Callback) {
			c.Auth = Auth{Kind: AuthOAuth2, TokenURL: "https://idp.example/t", ClientID: "c"}
			c.Headers = map[string]string{"authorization": "x"}
		}, false},
		{"auth kind", func(c *Callback) { c.Auth = Auth{Kind: "basic"} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cb := good
			tt.change(&cb)
			err := cb.Validate()
			if tt.ok {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalid)
		})
	}
}

func TestValidateReportsAll(t *testing.T) {
	t.Parallel()
	err := Callback{Event: "x", Method: "y", URL: "z"}.Validate()
	require.ErrorIs(t, err, ErrInvalid)
	var joined interface{ Unwrap() []error }
	require.True(t, errors.As(err, &joined))
	assert.Len(t, joined.Unwrap(), 3)
}

func TestValidateHidesSecrets(t *testing.T) {
	t.Parallel()
	err := Callback{Event: "Create", URL: "https://h.example/", Auth: Auth{Kind: AuthHeader, Header: "X-T", Value: "s3cr3t\n"}}.Validate()
	require.ErrorIs(t, err, ErrInvalid)
	assert.NotContains(t, err.Error(), "s3cr3t")
}

package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// nasty holds what a phone number or text might carry to break out of
// its place.
const nasty = "a&b=c\"d'\\e\n}}{{.Code}}../x?y#z <t>&amp;%41 +@evil.example/ ünï"

type seen struct {
	Method, RequestURI, Path, Body string
	Query                          url.Values
	Header                         http.Header
}

// recorder is a real HTTP server on loopback that records what it got.
type recorder struct {
	*httptest.Server
	mu     sync.Mutex
	got    []seen
	status int
	answer string
	delay  time.Duration
}

func newRecorder(t *testing.T) *recorder {
	t.Helper()
	r := &recorder{status: http.StatusOK}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) serve(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.got = append(r.got, seen{req.Method, req.RequestURI, req.URL.Path, string(b), req.URL.Query(), req.Header.Clone()})
	status, answer, delay := r.status, r.answer, r.delay
	r.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-req.Context().Done():
		}
	}
	if status == http.StatusFound {
		http.Redirect(w, req, "http://evil.example/", status)
		return
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, answer)
}

func (r *recorder) requests() []seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]seen(nil), r.got...)
}

func mustWebhook(t *testing.T, cfg WebhookConfig, opts ...WebhookOption) *Webhook {
	t.Helper()
	w, err := NewWebhook(cfg, opts...)
	require.NoError(t, err)
	return w
}

var msg = Message{To: "+447700900123", Text: nasty, Code: "123456"}

func TestWebhookQueryValuesCannotAddParameters(t *testing.T) {
	t.Parallel()
	srv := newRecorder(t)
	w := mustWebhook(t, WebhookConfig{Method: http.MethodGet, URL: srv.URL + "/send?to={{.To}}&text={{.Text}}&code={{.Code}}&key=k1"})
	require.NoError(t, w.Send(context.Background(), msg))
	got := srv.requests()
	require.Len(t, got, 1)
	assert.Equal(t, http.MethodGet, got[0].Method)
	assert.Equal(t, "/send", got[0].Path)
	assert.Equal(t, url.Values{"to": {msg.To}, "text": {nasty}, "code": {"123456"}, "key": {"k1"}}, got[0].Query)
}

func TestWebhookPathValueIsOneSegment(t *testing.T) {
	t.Parallel()
	srv := newRecorder(t)
	w := mustWebhook(t, WebhookConfig{URL: srv.URL + "/msg/{{.Text}}/send"})
	for _, text := range []string{"../../admin", "..", "a/b?c#d", nasty} {
		require.NoError(t, w.Send(context.Background(), Message{To: msg.To, Text: text}))
	}
	got := srv.requests()
	require.Len(t, got, 4)
	assert.Equal(t, "/msg/%2E%2E%2F%2E%2E%2Fadmin/send", got[0].RequestURI)
	assert.Equal(t, "/msg/%2E%2E/send", got[1].RequestURI)
	assert.Equal(t, "/msg/a/b?c#d/send", got[2].Path, "decoded, but sent as one segment")
	assert.Equal(t, "/msg/a%2Fb%3Fc%23d/send", got[2].RequestURI)
	for _, g := range got {
		assert.Empty(t, g.Query)
		assert.Equal(t, http.MethodPost, g.Method, "default method")
	}
}

func TestWebhookValuesCannotChangeHost(t *testing.T) {
	t.Parallel()
	srv := newRecorder(t)
	host := strings.TrimPrefix(srv.URL, "http://")
	_, err := NewWebhook(WebhookConfig{URL: "http://{{.Text}}/x"})
	assert.Error(t, err, "a host made only of a value")
	_, err = NewWebhook(WebhookConfig{URL: "http://" + host + "{{.Text}}/x"})
	assert.Error(t, err, "a value inside the host")
	_, err = NewWebhook(WebhookConfig{URL: "http://{{.Text}}@" + host + "/x"})
	assert.Error(t, err, "a value as the user")
	// A template that moves the host only for some values passes NewWebhook;
	// Send still refuses those values.
	w := mustWebhook(t, WebhookConfig{URL: "http://" + host + `{{if eq .Text "x"}}.evil.example{{end}}/x`})
	assert.Error(t, w.Send(context.Background(), Message{To: msg.To, Text: "x"}))
	assert.NoError(t, w.Send(context.Background(), Message{To: msg.To, Text: "@evil.example"}))
	assert.Len(t, srv.requests(), 1)
}

func TestWebhookHeaderInjectionRefused(t *testing.T) {
	t.Parallel()
	srv := newRecorder(t)
	w := mustWebhook(t, WebhookConfig{
		URL:     srv.URL + "/send",
		Headers: map[string]string{"x-text": "{{.Text}}", "Authorization": "Bearer s3cret", "X-To": "{{.To}}"},
	})
	for _, text := range []string{"hi\r\nX-Evil: 1", "hi\nX-Evil: 1", "hi\rX", "nul\x00", nasty} {
		err := w.Send(context.Background(), Message{To: msg.To, Text: text})
		assert.Error(t, err, "%q", text)
		assert.NotContains(t, err.Error(), "s3cret")
	}
	require.NoError(t, w.Send(context.Background(), Message{To: msg.To, Text: "a&b \"c\" }} ../"}))
	got := srv.requests()
	require.Len(t, got, 1)
	assert.Equal(t, "a&b \"c\" }} ../", got[0].Header.Get("X-Text"))
	assert.Equal(t, msg.To, got[0].Header.Get("X-To"))
	assert.Equal(t, "Bearer s3cret", got[0].Header.Get("Authorization"))
	assert.Empty(t, got[0].Header.Get("X-Evil"))
}

func TestWebhookBodies(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, ctype, body string
		decode            func(t *testing.T, body string) map[string]string
	}{
		{"json", "application/json; charset=utf-8", `{"to":"{{.To}}","text":"{{.Text}}","code":"{{.Code}}"}`,
			func(t *testing.T, body string) map[string]string {
				var m map[string]string
				require.NoError(t, json.Unmarshal([]byte(body), &m), body)
				return m
			}},
		{"form", "application/x-www-form-urlencoded", `to={{.To}}&text={{.Text}}&code={{.Code}}`,
			func(t *testing.T, body string) map[string]string {
				v, err := url.ParseQuery(body)
				require.NoError(t, err)
				m := map[string]string{}
				for k, vs := range v {
					require.Len(t, vs, 1, k)
					m[k] = vs[0]
				}
				return m
			}},
		{"xml", "application/xml", `<sms to="{{.To}}"><text>{{.Text}}</text><code>{{.Code}}</code></sms>`,
			func(t *testing.T, body string) map[string]string {
				var v struct {
					To   string `xml:"to,attr"`
					Text string `xml:"text"`
					Code string `xml:"code"`
				}
				require.NoError(t, xml.Unmarshal([]byte(body), &v), body)
				return map[string]string{"to": v.To, "text": v.Text, "code": v.Code}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newRecorder(t)
			w := mustWebhook(t, WebhookConfig{URL: srv.URL, ContentType: tc.ctype, Body: tc.body})
			require.NoError(t, w.Send(context.Background(), msg))
			got := srv.requests()
			require.Len(t, got, 1)
			assert.Equal(t, tc.ctype, got[0].Header.Get("Content-Type"))
			want := map[string]string{"to": msg.To, "text": nasty, "code": "123456"}
			assert.Equal(t, want, tc.decode(t, got[0].Body))
		})
	}
}

func TestWebhookErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := newRecorder(t)
	srv.status = http.StatusInternalServerError
	srv.answer = strings.Repeat("SECRETBODY", 100000)
	w := mustWebhook(t, WebhookConfig{URL: srv.URL + "/send?key=apikey123&to={{.To}}"})
	err := w.Send(ctx, msg)
	var se *StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusInternalServerError, se.StatusCode)
	assert.Contains(t, err.Error(), "500")
	assert.NotContains(t, err.Error(), "SECRETBODY")

	redir := newRecorder(t)
	redir.status = http.StatusFound
	w = mustWebhook(t, WebhookConfig{URL: redir.URL})
	require.ErrorAs(t, w.Send(ctx, msg), &se)
	assert.Equal(t, http.StatusFound, se.StatusCode, "redirects are not followed")

	slow := newRecorder(t)
	slow.delay = 5 * time.Second
	w = mustWebhook(t, WebhookConfig{URL: slow.URL, Timeout: 50 * time.Millisecond})
	start := time.Now()
	err = w.Send(ctx, msg)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 3*time.Second)

	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	w = mustWebhook(t, WebhookConfig{URL: closed.URL + "/send?key=apikey123"})
	err = w.Send(ctx, msg)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "apikey123", "transport errors do not carry the URL")

	for _, bad := range []Message{{To: "+44 7700&x"}, {To: "07700900123"}, {To: msg.To, Text: strings.Repeat("x", 1025)}} {
		assert.ErrorIs(t, w.Send(ctx, bad), ErrInvalidMessage)
	}
}

func TestNewWebhookValidates(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]WebhookConfig{
		"no URL":          {},
		"ftp":             {URL: "ftp://gw.example/"},
		"no host":         {URL: "https:///x"},
		"bad method":      {URL: "https://gw.example/", Method: "PO ST"},
		"bad header":      {URL: "https://gw.example/", Headers: map[string]string{"X Bad": "1"}},
		"host header":     {URL: "https://gw.example/", Headers: map[string]string{"host": "evil"}},
		"ctype twice":     {URL: "https://gw.example/", ContentType: "text/plain", Headers: map[string]string{"Content-Type": "x"}},
		"body no ctype":   {URL: "https://gw.example/", Body: "{{.Text}}"},
		"unknown ctype":   {URL: "https://gw.example/", Body: "{{.Text}}", ContentType: "text/html"},
		"bad ctype":       {URL: "https://gw.example/", ContentType: "text/plain\r\nX: 1"},
		"unknown field":   {URL: "https://gw.example/{{.Secret}}"},
		"bad template":    {URL: "https://gw.example/{{"},
		"negative timout": {URL: "https://gw.example/", Timeout: -1},
	} {
		_, err := NewWebhook(cfg)
		assert.Error(t, err, name)
	}
}

func TestWebhookTLSClientAndLogging(t *testing.T) {
	t.Parallel()
	var got http.Header
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
	t.Cleanup(srv.Close)
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	w := mustWebhook(t, WebhookConfig{
		URL:     srv.URL + "/bot-token-xyz/send?api_key=qwerty&text={{.Text}}",
		Headers: map[string]string{"Authorization": "Bearer s3cret"},
	}, WithHTTPClient(srv.Client()), WithLogger(logger))
	require.NoError(t, w.Send(context.Background(), Message{To: msg.To, Text: "your code is 424242", Code: "424242"}))
	assert.Equal(t, "Bearer s3cret", got.Get("Authorization"))
	out := logs.String()
	assert.Contains(t, out, "accepted")
	for _, secret := range []string{"s3cret", "qwerty", "424242", "token-xyz", msg.To} {
		assert.NotContains(t, out, secret)
	}
}

// FuzzWebhookRequest checks that no message moves the request to another
// host, adds a query parameter or header, or comes out of the JSON body
// changed.
func FuzzWebhookRequest(f *testing.F) {
	for _, s := range []string{nasty, "", "../..", "%00", "a\r\nX-Evil: 1", "}}{{"} {
		f.Add(s)
	}
	w, err := NewWebhook(WebhookConfig{
		URL:         "https://gw.example/v1/{{.Text}}/send?to={{.To}}&text={{.Text}}&k=1",
		Headers:     map[string]string{"X-Text": "{{.Text}}"},
		ContentType: "application/json",
		Body:        `{"text":"{{.Text}}"}`,
	})
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, text string) {
		req, err := w.request(context.Background(), Message{To: "+447700900123", Text: text})
		if err != nil {
			if validHeaderValue(text) {
				t.Fatalf("refused %q: %v", text, err)
			}
			return
		}
		if req.URL.Host != "gw.example" || req.URL.Scheme != "https" || req.URL.User != nil {
			t.Fatalf("%q moved the request to %s", text, req.URL.Redacted())
		}
		q := req.URL.Query()
		if len(q) != 3 || q.Get("text") != text || q.Get("k") != "1" {
			t.Fatalf("%q changed the query: %v", text, q)
		}
		if want := "/v1/" + text + "/send"; req.URL.Path != want {
			t.Fatalf("path %q, want %q", req.URL.Path, want)
		}
		if len(req.Header) != 2 || req.Header.Get("X-Text") != text {
			t.Fatalf("%q changed the headers: %v", text, req.Header)
		}
		b, _ := io.ReadAll(req.Body)
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil || len(m) != 1 || (m["text"] != text && utf8.ValidString(text)) {
			t.Fatalf("%q: body %s: %v", text, b, err)
		}
	})
}

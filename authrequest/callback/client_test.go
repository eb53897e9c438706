package callback

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// received is a request as a receiver saw it.
type received struct {
	Method string
	URL    *url.URL
	Header http.Header
	Body   []byte
}

// receiver is an httptest server that records requests and answers with
// status (200 when 0).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []received
	status atomic.Int32
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.reqs = append(r.reqs, received{req.Method, req.URL, req.Header.Clone(), body})
		r.mu.Unlock()
		if s := r.status.Load(); s != 0 {
			w.WriteHeader(int(s))
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) last(t *testing.T) received {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	require.NotEmpty(t, r.reqs, "the receiver got no request")
	return r.reqs[len(r.reqs)-1]
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reqs)
}

// clock is a test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func msg(vars map[string]string) Message {
	return Message{ID: "msg_2b3Zq", Vars: vars}
}

func TestDoEscaping(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	c := New()
	ctx := context.Background()
	for _, v := range hostile {
		t.Run(fmt.Sprintf("%q", v), func(t *testing.T) {
			vars := map[string]string{"username": v, "state": v, "uuid": "r1"}
			// URL path and query, JSON body
			_, err := c.Do(ctx, Callback{
				Event: "Approve", Method: "PUT",
				URL:  rcv.URL + "/u/{username}/x?state={state}&k=1#{state}",
				Body: `{"user":"{username}","state":{state},"uuid":"{uuid}"}`,
			}, msg(vars))
			if v == "." || v == ".." {
				require.Error(t, err)
				assert.True(t, IsPermanent(err), "a dot segment is refused")
				assert.ErrorIs(t, err, ErrInvalid)
				return
			}
			require.NoError(t, err)
			got := rcv.last(t)
			assert.Equal(t, "PUT", got.Method)
			segs := strings.Split(got.URL.EscapedPath(), "/")
			require.Len(t, segs, 4, "no segment added: %s", got.URL.EscapedPath())
			seg, err := url.PathUnescape(segs[2])
			require.NoError(t, err)
			assert.Equal(t, v, seg)
			assert.Equal(t, url.Values{"state": {v}, "k": {"1"}}, got.URL.Query())
			assert.Equal(t, "application/json", got.Header.Get("Content-Type"))
			var doc map[string]string
			require.NoError(t, json.Unmarshal(got.Body, &doc), "%s", got.Body)
			want := string([]rune(v))
			assert.Equal(t, map[string]string{"user": want, "state": want, "uuid": "r1"}, doc)

			// form body
			_, err = c.Do(ctx, Callback{
				Event: "Deny", URL: rcv.URL + "/form",
				ContentType: "application/x-www-form-urlencoded", Body: "user={username}&k=1",
			}, msg(vars))
			require.NoError(t, err)
			got = rcv.last(t)
			q, err := url.ParseQuery(string(got.Body))
			require.NoError(t, err)
			assert.Equal(t, url.Values{"user": {v}, "k": {"1"}}, q)
			assert.Equal(t, "application/x-www-form-urlencoded", got.Header.Get("Content-Type"))

			// header
			before := rcv.count()
			_, err = c.Do(ctx, Callback{
				Event: "Create", Method: "GET", URL: rcv.URL + "/h",
				Headers: map[string]string{"X-User": "user {username}"},
			}, msg(vars))
			if strings.ContainsAny(v, "\r\n\x00") {
				require.Error(t, err)
				assert.True(t, IsPermanent(err))
				assert.ErrorIs(t, err, ErrInvalid)
				assert.Equal(t, before, rcv.count(), "nothing sent")
				return
			}
			require.NoError(t, err)
			got = rcv.last(t)
			assert.Equal(t, "user "+v, got.Header.Get("X-User"))
			assert.Empty(t, got.Header.Get("Injected"))
			assert.Empty(t, got.Body)
			assert.Empty(t, got.Header.Get("Content-Type"), "no body, no content type")
		})
	}
}

func TestDoSignature(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	oldS, newS := newSecret(t), newSecret(t)
	c := New()
	res, err := c.Do(context.Background(), Callback{
		Event: "Approve", URL: rcv.URL + "/cb", Body: `{"event":"{event}"}`,
	}, Message{ID: "msg_sig", Vars: map[string]string{"event": "Approve"}, Secrets: []string{newS, oldS}})
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Positive(t, res.Duration)
	got := rcv.last(t)
	assert.Equal(t, "msg_sig", got.Header.Get("webhook-id"))
	assert.Equal(t, `{"event":"Approve"}`, string(got.Body))
	for _, s := range []string{oldS, newS} {
		wh, err := standardwebhooks.NewWebhook(s)
		require.NoError(t, err)
		assert.NoError(t, wh.Verify(got.Body, got.Header), "the reference library verifies")
	}
	other, err := standardwebhooks.NewWebhook(newSecret(t))
	require.NoError(t, err)
	assert.Error(t, other.Verify(got.Body, got.Header))

	// Without secrets: id and timestamp, no signature.
	_, err = c.Do(context.Background(), Callback{Event: "Create", URL: rcv.URL}, Message{ID: "msg_nosig"})
	require.NoError(t, err)
	got = rcv.last(t)
	assert.Equal(t, "msg_nosig", got.Header.Get("webhook-id"))
	assert.NotEmpty(t, got.Header.Get("webhook-timestamp"))
	assert.Empty(t, got.Header.Get("webhook-signature"))
}

func TestDoClockTimestamp(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	secret := newSecret(t)
	c := New(WithClock(clk.now))
	_, err := c.Do(context.Background(), Callback{Event: "Create", URL: rcv.URL}, Message{ID: "m1", Secrets: []string{secret}})
	require.NoError(t, err)
	got := rcv.last(t)
	assert.Equal(t, "1700000000", got.Header.Get("webhook-timestamp"))
	wh, err := standardwebhooks.NewWebhook(secret)
	require.NoError(t, err)
	assert.NoError(t, wh.VerifyIgnoringTimestamp(got.Body, got.Header))
	assert.Error(t, wh.Verify(got.Body, got.Header), "an old timestamp is refused by receivers")

	ts := time.Unix(1_800_000_000, 0)
	_, err = c.Do(context.Background(), Callback{Event: "Create", URL: rcv.URL}, Message{ID: "m2", Timestamp: ts})
	require.NoError(t, err)
	assert.Equal(t, "1800000000", rcv.last(t).Header.Get("webhook-timestamp"))
}

func TestDoHeaderAuth(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	var logs bytes.Buffer
	c := New(WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	_, err := c.Do(context.Background(), Callback{
		Event: "Approve", URL: rcv.URL + "/cb?user={username}", Body: `{"u":"{username}"}`,
		Headers: map[string]string{"X-Tenant": "t1"},
		Auth:    Auth{Kind: AuthHeader, Header: "Authorization", Value: "Bearer s3cr3t-token"},
	}, msg(map[string]string{"username": "alice@example.com"}))
	require.NoError(t, err)
	got := rcv.last(t)
	assert.Equal(t, "Bearer s3cr3t-token", got.Header.Get("Authorization"))
	assert.Equal(t, "t1", got.Header.Get("X-Tenant"))
	assert.Equal(t, "Usher-Callback/1", got.Header.Get("User-Agent"))
	assert.Contains(t, logs.String(), "callback: delivered")
	for _, secret := range []string{"s3cr3t", "alice", `{"u"`} {
		assert.NotContains(t, logs.String(), secret, "logs hold no secret, value or body")
	}
}

// tokenServer is an OAuth 2.0 token endpoint for client credentials.
type tokenServer struct {
	*httptest.Server
	fetches atomic.Int32
	refuse  atomic.Bool
}

func newTokenServer(t *testing.T, expiresIn int) *tokenServer {
	t.Helper()
	ts := &tokenServer{}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if err := r.ParseForm(); err != nil || !ok || id != "usher" || secret != "client-s3cr3t" ||
			r.PostForm.Get("grant_type") != "client_credentials" || ts.refuse.Load() {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":"invalid_client","error_description":"bad client-s3cr3t"}`)
			return
		}
		n := ts.fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"access_token": fmt.Sprintf("tok-%d", n), "token_type": "Bearer", "expires_in": expiresIn,
			"scope": r.PostForm.Get("scope"),
		})
	}))
	t.Cleanup(ts.Close)
	return ts
}

func oauthCallback(rcvURL, tokenURL string) Callback {
	return Callback{
		Event: "Any", URL: rcvURL + "/cb", Body: `{}`,
		Auth: Auth{Kind: AuthOAuth2, TokenURL: tokenURL, ClientID: "usher", ClientSecret: "client-s3cr3t", Scopes: []string{"callbacks"}},
	}
}

func TestDoClientCredentials(t *testing.T) {
	t.Parallel()
	tokens := newTokenServer(t, 3600)
	rcv := newReceiver(t)
	clk := &clock{t: time.Now()}
	c := New(WithClock(clk.now))
	cb := oauthCallback(rcv.URL, tokens.URL)
	p, err := Prepare(cb)
	require.NoError(t, err)
	ctx := context.Background()

	for range 5 {
		_, err := c.Send(ctx, p, msg(nil))
		require.NoError(t, err)
		assert.Equal(t, "Bearer tok-1", rcv.last(t).Header.Get("Authorization"))
	}
	assert.EqualValues(t, 1, tokens.fetches.Load(), "one token for many calls")

	clk.add(3600 * time.Second)
	_, err = c.Send(ctx, p, msg(nil))
	require.NoError(t, err)
	assert.Equal(t, "Bearer tok-2", rcv.last(t).Header.Get("Authorization"), "refreshed after expiry")
	assert.EqualValues(t, 2, tokens.fetches.Load())

	rcv.status.Store(http.StatusUnauthorized)
	res, err := c.Send(ctx, p, msg(nil))
	require.Error(t, err)
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
	assert.False(t, IsPermanent(err), "a 401 with client credentials is worth another attempt")
	rcv.status.Store(0)
	_, err = c.Send(ctx, p, msg(nil))
	require.NoError(t, err)
	assert.Equal(t, "Bearer tok-3", rcv.last(t).Header.Get("Authorization"), "dropped after a 401")
	assert.EqualValues(t, 3, tokens.fetches.Load())
}

func TestDoClientCredentialsShortLived(t *testing.T) {
	t.Parallel()
	tokens := newTokenServer(t, 4)
	rcv := newReceiver(t)
	clk := &clock{t: time.Now()}
	c := New(WithClock(clk.now))
	cb := oauthCallback(rcv.URL, tokens.URL)
	for _, step := range []struct {
		advance time.Duration
		want    string
	}{{0, "tok-1"}, {time.Second, "tok-1"}, {time.Second, "tok-2"}, {time.Second, "tok-2"}, {10 * time.Second, "tok-3"}} {
		clk.add(step.advance)
		_, err := c.Do(context.Background(), cb, msg(nil))
		require.NoError(t, err)
		assert.Equal(t, "Bearer "+step.want, rcv.last(t).Header.Get("Authorization"))
	}
}

func TestDoClientCredentialsConcurrent(t *testing.T) {
	t.Parallel()
	tokens := newTokenServer(t, 3600)
	rcv := newReceiver(t)
	c := New()
	cb := oauthCallback(rcv.URL, tokens.URL)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			_, err := c.Do(context.Background(), cb, msg(nil))
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	assert.EqualValues(t, 1, tokens.fetches.Load(), "concurrent calls share one fetch")
	assert.Equal(t, 16, rcv.count())
}

func TestDoClientCredentialsRefused(t *testing.T) {
	t.Parallel()
	tokens := newTokenServer(t, 3600)
	tokens.refuse.Store(true)
	rcv := newReceiver(t)
	_, err := New().Do(context.Background(), oauthCallback(rcv.URL, tokens.URL), msg(nil))
	require.Error(t, err)
	assert.True(t, IsPermanent(err), "a refused client is permanent")
	assert.NotContains(t, err.Error(), "client-s3cr3t", "the endpoint's echo is not repeated")
	assert.Contains(t, err.Error(), "invalid_client")
	assert.Equal(t, 0, rcv.count())

	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()
	_, err = New().Do(context.Background(), oauthCallback(rcv.URL, down.URL), msg(nil))
	require.Error(t, err)
	assert.False(t, IsPermanent(err), "a token endpoint that is down is temporary")
}

func TestTokenCacheBounded(t *testing.T) {
	t.Parallel()
	tc := newTokenCache(2)
	a := tc.entry(tokenKey{clientID: "a"})
	tc.entry(tokenKey{clientID: "b"})
	assert.Same(t, a, tc.entry(tokenKey{clientID: "a"}), "a is now the most recent")
	tc.entry(tokenKey{clientID: "c"})
	assert.Equal(t, 2, tc.len())
	assert.Same(t, a, tc.entry(tokenKey{clientID: "a"}), "b was dropped, not a")
	assert.NotEqual(t, keyOf(Auth{ClientSecret: "x"}), keyOf(Auth{ClientSecret: "y"}))
	assert.Equal(t, keyOf(Auth{Scopes: []string{"a", "b"}}), keyOf(Auth{Scopes: []string{"b", "a"}}))
}

func TestDoStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status     int
		ok, retry  bool
		retryAfter time.Duration
	}{
		{200, true, false, 0},
		{204, true, false, 0},
		{400, false, false, 0},
		{401, false, false, 0},
		{404, false, false, 0},
		{408, false, true, 0},
		{429, false, true, 7 * time.Second},
		{500, false, true, 0},
		{503, false, true, 7 * time.Second},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				if tt.retryAfter > 0 {
					w.Header().Set("Retry-After", "7")
				}
				w.WriteHeader(tt.status)
			}))
			defer srv.Close()
			res, err := New().Do(context.Background(), Callback{Event: "Any", URL: srv.URL}, msg(nil))
			assert.Equal(t, tt.status, res.StatusCode)
			if tt.ok {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			var e *Error
			require.True(t, errors.As(err, &e))
			assert.Equal(t, tt.status, e.StatusCode)
			assert.Equal(t, tt.retry, e.Retryable())
			assert.Equal(t, !tt.retry, IsPermanent(err))
			assert.Equal(t, tt.retryAfter, e.RetryAfter)
		})
	}
}

func TestDoRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	target := newReceiver(t)
	srv := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
	defer srv.Close()
	hc := &http.Client{}
	res, err := New(WithHTTPClient(hc)).Do(context.Background(), Callback{Event: "Any", URL: srv.URL}, msg(nil))
	require.Error(t, err)
	assert.Equal(t, http.StatusTemporaryRedirect, res.StatusCode)
	assert.True(t, IsPermanent(err))
	assert.Equal(t, 0, target.count(), "the redirect was not followed")
	assert.Nil(t, hc.CheckRedirect, "the given client is not changed")
}

func TestDoHanging(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hang.Close()
	defer close(release)
	const timeout = 200 * time.Millisecond
	c := New(WithTimeout(timeout))
	for name, cb := range map[string]Callback{
		"receiver":       {Event: "Any", URL: hang.URL},
		"token endpoint": oauthCallback("http://127.0.0.1:1", hang.URL),
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			_, err := c.Do(context.Background(), cb, msg(nil))
			require.Error(t, err)
			assert.Less(t, time.Since(start), timeout+5*time.Second, "cut off at the timeout")
			assert.False(t, IsPermanent(err), "a timeout is temporary")
			assert.ErrorIs(t, err, context.DeadlineExceeded)
		})
	}
}

func TestDoNetworkError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close()
	var logs bytes.Buffer
	c := New(WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	_, err := c.Do(context.Background(), Callback{
		Event: "Any", URL: addr + "/p/{username}", Body: `{"u":"{username}"}`,
		Auth: Auth{Kind: AuthHeader, Header: "X-Token", Value: "s3cr3t"},
	}, msg(map[string]string{"username": "alice"}))
	require.Error(t, err)
	assert.False(t, IsPermanent(err))
	assert.NotContains(t, err.Error(), "alice", "the URL with its values is not in the error")
	assert.Contains(t, logs.String(), "callback: failed")
	for _, s := range []string{"alice", "s3cr3t"} {
		assert.NotContains(t, logs.String(), s)
	}
}

func TestDoInvalid(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	c := New()
	good := Callback{Event: "Any", URL: rcv.URL}
	tests := []struct {
		name string
		cb   Callback
		m    Message
	}{
		{"invalid callback", Callback{Event: "Nope", URL: rcv.URL}, msg(nil)},
		{"no message ID", good, Message{}},
		{"message ID with newline", good, Message{ID: "a\nb"}},
		{"variable name", good, msg(map[string]string{"bad-name": "x"})},
		{"value too long", Callback{Event: "Any", URL: rcv.URL + "/{v}"}, msg(map[string]string{"v": strings.Repeat("x", MaxValue+1)})},
		{"bad secret", good, Message{ID: "m", Secrets: []string{"whsec_short"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := c.Do(context.Background(), tt.cb, tt.m)
			require.Error(t, err)
			assert.True(t, IsPermanent(err))
			assert.ErrorIs(t, err, ErrInvalid)
		})
	}
	assert.Equal(t, 0, rcv.count())
}

func TestDoCancelled(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := New().Do(ctx, Callback{Event: "Any", URL: rcv.URL}, msg(nil))
	require.Error(t, err)
	assert.False(t, IsPermanent(err))
	assert.ErrorIs(t, err, context.Canceled)
}

func TestDoLargeAnswer(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write(bytes.Repeat([]byte("x"), 1<<20))
	}))
	defer srv.Close()
	res, err := New(WithMaxResponseBody(1024)).Do(context.Background(), Callback{Event: "Any", URL: srv.URL}, msg(nil))
	require.NoError(t, err)
	assert.Equal(t, 200, res.StatusCode)
}

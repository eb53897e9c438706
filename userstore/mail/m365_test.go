package mail_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/userstore/mail"
)

// fakeMicrosoft speaks the two documented contracts the M365 sender uses:
//
//   - the Microsoft identity platform's client credentials grant:
//     POST /{tenant}/oauth2/v2.0/token with client_id, client_secret,
//     scope=https://graph.microsoft.com/.default, grant_type=client_credentials;
//     answers {"token_type":"Bearer","expires_in":3599,"access_token":"..."} or, for a
//     bad secret, 401 {"error":"invalid_client","error_description":"AADSTS7000215: ..."}
//     https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow
//   - Graph's sendMail: POST /v1.0/users/{id | userPrincipalName}/sendMail with
//     {"message":{"subject","body":{"contentType","content"},"toRecipients":[{"emailAddress":{"address"}}]},
//     "saveToSentItems":bool}; answers 202 Accepted with no body.
//     https://learn.microsoft.com/en-us/graph/api/user-sendmail
//   - Graph's errors: {"error":{"code","message","innerError":{...}}}, and 429 with a
//     Retry-After header in seconds when throttled.
//     https://learn.microsoft.com/en-us/graph/errors
//     https://learn.microsoft.com/en-us/graph/throttling
type fakeMicrosoft struct {
	srv *httptest.Server

	mu          sync.Mutex
	tokenCalls  int
	sends       []graphRequest
	graphAnswer []func(w http.ResponseWriter) // popped per sendMail; empty: 202
}

type graphRequest struct {
	Path string
	Auth string
	Body struct {
		Message struct {
			Subject string `json:"subject"`
			Body    struct {
				ContentType string `json:"contentType"`
				Content     string `json:"content"`
			} `json:"body"`
			ToRecipients []struct {
				EmailAddress struct {
					Address string `json:"address"`
					Name    string `json:"name"`
				} `json:"emailAddress"`
			} `json:"toRecipients"`
		} `json:"message"`
		SaveToSentItems *bool `json:"saveToSentItems"`
	}
}

const (
	fakeTenant = "contoso.onmicrosoft.com"
	fakeClient = "11111111-2222-3333-4444-555555555555"
	fakeSecret = "client-secret-value"
)

func newFakeMicrosoft(t *testing.T) *fakeMicrosoft {
	f := &fakeMicrosoft{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		f.mu.Lock()
		f.tokenCalls++
		n := f.tokenCalls
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.PathValue("tenant") != fakeTenant || r.PostForm.Get("client_id") != fakeClient ||
			r.PostForm.Get("client_secret") != fakeSecret {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","error_codes":[7000215]}`))
			return
		}
		assert.Equal(t, "client_credentials", r.PostForm.Get("grant_type"))
		assert.Equal(t, "https://graph.microsoft.com/.default", r.PostForm.Get("scope"))
		_ = json.NewEncoder(w).Encode(map[string]any{
			"token_type": "Bearer", "expires_in": 3599, "access_token": "token-" + string(rune('0'+n)),
		})
	})
	mux.HandleFunc("POST /v1.0/users/{user}/sendMail", func(w http.ResponseWriter, r *http.Request) {
		var gr graphRequest
		gr.Path = r.URL.EscapedPath()
		gr.Auth = r.Header.Get("Authorization")
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		require.NoError(t, json.NewDecoder(r.Body).Decode(&gr.Body))
		f.mu.Lock()
		f.sends = append(f.sends, gr)
		var answer func(http.ResponseWriter)
		if len(f.graphAnswer) > 0 {
			answer, f.graphAnswer = f.graphAnswer[0], f.graphAnswer[1:]
		}
		f.mu.Unlock()
		if !strings.HasPrefix(gr.Auth, "Bearer token-") {
			graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.", "")
			return
		}
		if answer != nil {
			answer(w)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func graphError(w http.ResponseWriter, status int, code, message, retryAfter string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("request-id", "7e1b0c3a-0000-4000-8000-000000000001")
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code": code, "message": message,
		"innerError": map[string]any{"date": "2026-03-01T12:00:00", "request-id": "7e1b0c3a-0000-4000-8000-000000000001"},
	}})
}

func (f *fakeMicrosoft) answer(a ...func(w http.ResponseWriter)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.graphAnswer = append(f.graphAnswer, a...)
}

func (f *fakeMicrosoft) config() mail.M365Config {
	return mail.M365Config{
		TenantID: fakeTenant, ClientID: fakeClient, ClientSecret: fakeSecret,
		From:     "noreply@contoso.com",
		GraphURL: f.srv.URL + "/v1.0",
		TokenURL: f.srv.URL + "/" + fakeTenant + "/oauth2/v2.0/token",
	}
}

// sleeps records the waits between retries instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) option() mail.Option {
	return mail.WithSleep(func(_ context.Context, d time.Duration) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.d = append(s.d, d)
		return nil
	})
}

func TestM365Send(t *testing.T) {
	t.Parallel()
	f := newFakeMicrosoft(t)
	s, err := mail.NewM365(f.config(), mail.WithHTTPClient(f.srv.Client()))
	require.NoError(t, err)

	m := testMessage()
	m.HTML = ""
	require.NoError(t, s.Send(context.Background(), m))
	m2 := testMessage()
	m2.From = "Helpdesk <helpdesk@contoso.com>"
	require.NoError(t, s.Send(context.Background(), m2))

	require.Len(t, f.sends, 2)
	first := f.sends[0]
	assert.Equal(t, "/v1.0/users/noreply@contoso.com/sendMail", first.Path)
	assert.Equal(t, "Bearer token-1", first.Auth)
	assert.Equal(t, m.Subject, first.Body.Message.Subject)
	assert.Equal(t, "Text", first.Body.Message.Body.ContentType)
	assert.Equal(t, m.Text, first.Body.Message.Body.Content)
	require.Len(t, first.Body.Message.ToRecipients, 2)
	assert.Equal(t, "ann@example.com", first.Body.Message.ToRecipients[0].EmailAddress.Address)
	assert.Equal(t, "Ann Example", first.Body.Message.ToRecipients[0].EmailAddress.Name)
	assert.Equal(t, "bob@example.org", first.Body.Message.ToRecipients[1].EmailAddress.Address)
	require.NotNil(t, first.Body.SaveToSentItems)
	assert.False(t, *first.Body.SaveToSentItems, "reset links stay out of Sent Items by default")

	second := f.sends[1]
	assert.Equal(t, "/v1.0/users/helpdesk@contoso.com/sendMail", second.Path, "a message's From picks the mailbox")
	assert.Equal(t, "HTML", second.Body.Message.Body.ContentType)
	assert.Equal(t, m2.HTML, second.Body.Message.Body.Content)
	assert.Equal(t, "Bearer token-1", second.Auth, "the token is cached")
	assert.Equal(t, 1, f.tokenCalls)
}

func TestM365GraphErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		answers    []func(http.ResponseWriter)
		maxRetries int
		wantIs     []error
		wantStatus int
		wantCode   string
		wantSleeps []time.Duration
		wantSends  int
	}{
		{
			name: "access denied",
			answers: []func(http.ResponseWriter){func(w http.ResponseWriter) {
				graphError(w, 403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.", "")
			}},
			wantIs: []error{mail.ErrAuth}, wantStatus: 403, wantCode: "ErrorAccessDenied", wantSends: 1,
		},
		{
			name: "mailbox not found",
			answers: []func(http.ResponseWriter){func(w http.ResponseWriter) {
				graphError(w, 404, "ErrorInvalidUser", "The requested user 'noreply@contoso.com' is invalid.", "")
			}},
			wantStatus: 404, wantCode: "ErrorInvalidUser", wantSends: 1,
		},
		{
			name: "body that is not Graph's error object",
			answers: []func(http.ResponseWriter){func(w http.ResponseWriter) {
				w.WriteHeader(http.StatusBadGateway)
				_, _ = w.Write([]byte("<html>bad gateway</html>"))
			}},
			wantStatus: 502, wantSends: 1,
		},
		{
			name: "throttled once, then accepted",
			answers: []func(http.ResponseWriter){func(w http.ResponseWriter) {
				graphError(w, 429, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.", "7")
			}},
			wantSleeps: []time.Duration{7 * time.Second}, wantSends: 2,
		},
		{
			name: "503 without Retry-After backs off",
			answers: []func(http.ResponseWriter){
				func(w http.ResponseWriter) { graphError(w, 503, "serviceNotAvailable", "Service unavailable.", "") },
				func(w http.ResponseWriter) { graphError(w, 503, "serviceNotAvailable", "Service unavailable.", "") },
			},
			wantSleeps: []time.Duration{time.Second, 2 * time.Second}, wantSends: 3,
		},
		{
			name: "throttled beyond the retries",
			answers: []func(http.ResponseWriter){
				func(w http.ResponseWriter) { graphError(w, 429, "TooManyRequests", "Too many requests.", "1") },
				func(w http.ResponseWriter) { graphError(w, 429, "TooManyRequests", "Too many requests.", "1") },
				func(w http.ResponseWriter) { graphError(w, 429, "TooManyRequests", "Too many requests.", "1") },
			},
			maxRetries: 2,
			wantIs:     []error{mail.ErrThrottled}, wantStatus: 429, wantCode: "TooManyRequests",
			wantSleeps: []time.Duration{time.Second, time.Second}, wantSends: 3,
		},
		{
			name: "Retry-After beyond MaxRetryWait",
			answers: []func(http.ResponseWriter){func(w http.ResponseWriter) {
				graphError(w, 429, "TooManyRequests", "Too many requests.", "3600")
			}},
			wantIs: []error{mail.ErrThrottled}, wantStatus: 429, wantCode: "TooManyRequests", wantSends: 1,
		},
		{
			name: "retries off",
			answers: []func(http.ResponseWriter){func(w http.ResponseWriter) {
				graphError(w, 429, "TooManyRequests", "Too many requests.", "1")
			}},
			maxRetries: -1,
			wantIs:     []error{mail.ErrThrottled}, wantStatus: 429, wantCode: "TooManyRequests", wantSends: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeMicrosoft(t)
			f.answer(tt.answers...)
			cfg := f.config()
			cfg.MaxRetries = tt.maxRetries
			var sl sleeps
			s, err := mail.NewM365(cfg, mail.WithHTTPClient(f.srv.Client()), sl.option())
			require.NoError(t, err)
			err = s.Send(context.Background(), testMessage())
			assert.Equal(t, tt.wantSleeps, sl.d)
			assert.Len(t, f.sends, tt.wantSends)
			if tt.wantStatus == 0 {
				require.NoError(t, err)
				return
			}
			var ge *mail.GraphError
			require.ErrorAs(t, err, &ge)
			assert.Equal(t, tt.wantStatus, ge.StatusCode)
			assert.Equal(t, tt.wantCode, ge.Code)
			assert.NotEmpty(t, ge.Message)
			for _, target := range tt.wantIs {
				assert.ErrorIs(t, err, target)
			}
		})
	}
}

func TestM365TokenRefused(t *testing.T) {
	t.Parallel()
	f := newFakeMicrosoft(t)
	cfg := f.config()
	cfg.ClientSecret = "wrong-secret"
	s, err := mail.NewM365(cfg, mail.WithHTTPClient(f.srv.Client()))
	require.NoError(t, err)
	err = s.Send(context.Background(), testMessage())
	require.ErrorIs(t, err, mail.ErrAuth)
	assert.Contains(t, err.Error(), "invalid_client")
	assert.NotContains(t, err.Error(), "wrong-secret")
	assert.Empty(t, f.sends)
}

// A 401 from Graph (a revoked token) drops the cached token: the next send
// fetches a new one.
func TestM365RefetchesTokenAfter401(t *testing.T) {
	t.Parallel()
	f := newFakeMicrosoft(t)
	f.answer(func(w http.ResponseWriter) {
		graphError(w, 401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.", "")
	})
	s, err := mail.NewM365(f.config(), mail.WithHTTPClient(f.srv.Client()))
	require.NoError(t, err)
	err = s.Send(context.Background(), testMessage())
	assert.ErrorIs(t, err, mail.ErrAuth)
	require.NoError(t, s.Send(context.Background(), testMessage()))
	assert.Equal(t, 2, f.tokenCalls)
	assert.Equal(t, "Bearer token-2", f.sends[1].Auth)
}

func TestM365RejectsBadMessagesWithoutCalling(t *testing.T) {
	t.Parallel()
	f := newFakeMicrosoft(t)
	s, err := mail.NewM365(f.config(), mail.WithHTTPClient(f.srv.Client()))
	require.NoError(t, err)
	err = s.Send(context.Background(), mail.Message{To: []string{"x@example.com"}, Subject: "a\r\nBcc: y@example.com"})
	assert.ErrorIs(t, err, mail.ErrInvalidMessage)
	assert.Zero(t, f.tokenCalls)
	assert.Empty(t, f.sends)
}

func TestM365ConcurrentSendsShareOneToken(t *testing.T) {
	t.Parallel()
	f := newFakeMicrosoft(t)
	s, err := mail.NewM365(f.config(), mail.WithHTTPClient(f.srv.Client()))
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { assert.NoError(t, s.Send(context.Background(), testMessage())) })
	}
	wg.Wait()
	assert.Equal(t, 1, f.tokenCalls)
	assert.Len(t, f.sends, 20)
}

func TestM365ContextCancelledWhileWaiting(t *testing.T) {
	t.Parallel()
	f := newFakeMicrosoft(t)
	f.answer(func(w http.ResponseWriter) { graphError(w, 429, "TooManyRequests", "Too many requests.", "30") })
	cfg := f.config()
	cfg.Timeout = time.Hour // the wait fits; the cancellation ends it
	s, err := mail.NewM365(cfg, mail.WithHTTPClient(f.srv.Client()))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	err = s.Send(ctx, testMessage())
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, err, mail.ErrThrottled)
}

func TestNewM365Config(t *testing.T) {
	t.Parallel()
	_, err := mail.NewM365(mail.M365Config{})
	require.ErrorIs(t, err, mail.ErrConfig)
	for _, field := range []string{"TenantId", "ClientId", "ClientSecret", "From"} {
		assert.Contains(t, err.Error(), `"`+field+`"`)
	}
	_, err = mail.NewM365(mail.M365Config{TenantID: "a/../b", ClientID: "c", ClientSecret: "s", From: "a@b.c", GraphURL: "ftp://x"})
	require.ErrorIs(t, err, mail.ErrConfig)
	assert.Contains(t, err.Error(), "TenantId")
	assert.Contains(t, err.Error(), "GraphURL")
	assert.NotContains(t, err.Error(), `"s"`)
}

// A Retry-After that would outlast the send's deadline ends the send at
// once rather than sleeping into a certain timeout.
func TestM365RetryAfterBeyondDeadline(t *testing.T) {
	t.Parallel()
	f := newFakeMicrosoft(t)
	f.answer(func(w http.ResponseWriter) { graphError(w, 429, "TooManyRequests", "Too many requests.", "45") })
	var sl sleeps
	s, err := mail.NewM365(f.config(), mail.WithHTTPClient(f.srv.Client()), sl.option()) // Timeout 30s
	require.NoError(t, err)
	err = s.Send(context.Background(), testMessage())
	var ge *mail.GraphError
	require.ErrorAs(t, err, &ge)
	assert.Equal(t, 45*time.Second, ge.RetryAfter)
	assert.ErrorIs(t, err, mail.ErrThrottled)
	assert.Empty(t, sl.d)
}

// While one Send waits for a slow token endpoint, another gives up when
// its own context ends instead of queueing behind it.
func TestM365TokenWaitHonoursContext(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	s, err := mail.NewM365(mail.M365Config{TenantID: "t", ClientID: "c", ClientSecret: "s", From: "a@b.c",
		TokenURL: srv.URL + "/token", GraphURL: srv.URL}, mail.WithHTTPClient(srv.Client()))
	require.NoError(t, err)

	slow := make(chan error, 1)
	go func() { slow <- s.Send(context.Background(), testMessage()) }()
	time.Sleep(20 * time.Millisecond) // let the first Send take the token slot
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, s.Send(ctx, testMessage()), context.DeadlineExceeded)
	close(release)
	assert.Error(t, <-slow)
}

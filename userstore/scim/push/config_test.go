package push_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/usher-sdk/usher/userstore/memstore"
	"github.com/usher-sdk/usher/userstore/scim/push"
)

func TestNew_Config(t *testing.T) {
	t.Parallel()
	src, cur := memstore.New(), &push.MemoryCursors{}
	for _, c := range []struct {
		name  string
		cfg   push.Config
		opts  []push.Option
		wants []string // substrings of the error; none: valid
	}{
		{name: "loopback http", cfg: push.Config{BaseURL: "http://127.0.0.1:8080/scim/v2"}},
		{name: "https", cfg: push.Config{BaseURL: "https://platform.example/scim/v2", DeleteMode: push.Delete}},
		{name: "insecure http", cfg: push.Config{BaseURL: "http://platform.example/scim", InsecureAllowHTTP: true}},
		{name: "missing", cfg: push.Config{}, wants: []string{`"baseURL"`}},
		{name: "plain http", cfg: push.Config{BaseURL: "http://platform.example/scim"}, wants: []string{"InsecureAllowHTTP"}},
		{name: "relative", cfg: push.Config{BaseURL: "/scim"}, wants: []string{"absolute"}},
		{name: "every problem at once", cfg: push.Config{
			BaseURL: "ftp://x", DeleteMode: "shred", BatchSize: -1, RetryMin: time.Minute, RetryMax: time.Second,
		}, wants: []string{"absolute", "deleteMode", "batchSize", "retryMax"}},
		{name: "two auths", cfg: push.Config{BaseURL: "https://x/scim"},
			opts:  []push.Option{push.WithBearerToken("t"), push.WithClientCredentials(&clientcredentials.Config{TokenURL: "https://x/token", ClientID: "c"})},
			wants: []string{"exclude"}},
		{name: "bad options", cfg: push.Config{BaseURL: "https://x/scim"},
			opts:  []push.Option{push.WithBearerToken(""), push.WithHTTPClient(nil), push.WithLogger(nil), push.WithClientCredentials(&clientcredentials.Config{})},
			wants: []string{"bearer", "HTTP client", "logger", "TokenURL"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, err := push.New(c.cfg, src, cur, c.opts...)
			if len(c.wants) == 0 {
				require.NoError(t, err)
				got := f.Config()
				assert.Equal(t, "default", got.Name)
				assert.Equal(t, 100, got.BatchSize)
				assert.Equal(t, 30*time.Second, got.RequestTimeout)
				if c.cfg.DeleteMode == "" {
					assert.Equal(t, push.Deactivate, got.DeleteMode)
				}
				return
			}
			require.Error(t, err)
			for _, w := range c.wants {
				assert.ErrorContains(t, err, w)
			}
		})
	}
	_, err := push.New(push.Config{BaseURL: "https://x"}, nil, nil)
	assert.ErrorContains(t, err, "nil source")
	assert.ErrorContains(t, err, "nil cursor store")
}

// TestFollower_ClientCredentials gets its token from an OAuth 2.0 token
// endpoint by the client-credentials grant, once, and reuses it.
func TestFollower_ClientCredentials(t *testing.T) {
	t.Parallel()
	var grants atomic.Int32
	tokenSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, _ := r.BasicAuth()
		if r.FormValue("grant_type") != "client_credentials" || id != "usher" || secret != "cc-secret" {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		grants.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": testToken, "token_type": "Bearer", "expires_in": 3600})
	}))
	defer tokenSrv.Close()

	s := memstore.New()
	p := newProvider(t, testToken)
	f, err := push.New(push.Config{BaseURL: p.BaseURL()}, s, &push.MemoryCursors{},
		push.WithClientCredentials(&clientcredentials.Config{
			ClientID: "usher", ClientSecret: "cc-secret", TokenURL: tokenSrv.URL,
		}))
	require.NoError(t, err)
	createUser(t, s, "kim")
	createUser(t, s, "lee")
	n, err := f.Step(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	assert.Len(t, p.users.snapshot(), 2)
	assert.Equal(t, int32(1), grants.Load(), "the token was not reused")
}

package userstore_test

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

	"github.com/usher-sdk/usher/userstore"
)

// legacyServer is a fake legacy system: it knows one password per login
// and counts the questions it is asked.
func legacyServer(t *testing.T, passwords map[string]string) (*httptest.Server, *atomic.Int64) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || r.Header.Get("Authorization") != "Bearer hook-key" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		var in struct{ Login, Password string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		switch in.Login {
		case "broken":
			http.Error(w, "database down", http.StatusServiceUnavailable)
			return
		case "ghost":
			w.WriteHeader(http.StatusNotFound)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]bool{"valid": passwords[in.Login] == in.Password})
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestMigrationHookLogin(t *testing.T) {
	srv, calls := legacyServer(t, map[string]string{"alice": "legacy-secret"})
	hook := &userstore.HTTPMigrationHook{URL: srv.URL, Client: srv.Client(), Header: http.Header{"Authorization": {"Bearer hook-key"}}}
	e := newEnv(t, userstore.Config{MaxFailedLogins: 3}, userstore.WithMigrationHook(hook))
	alice := e.addUser("alice", "", "")
	broken := e.addUser("broken", "", "")

	// A wrong password: the hook says no, which counts as a strike.
	_, err := e.login("alice", "wrong")
	require.ErrorIs(t, err, userstore.ErrInvalidCredentials)
	assert.Equal(t, 1, e.user(alice.ID).FailedLogins)
	assert.Equal(t, int64(1), calls.Load())

	// The right password: migrated, the hash is stored and the count reset.
	_, err = e.login("ALICE", "legacy-secret")
	require.NoError(t, err)
	assert.Equal(t, int64(2), calls.Load())
	got := e.user(alice.ID)
	assert.Regexp(t, `^test-fast\$`, got.PasswordHash)
	assert.Equal(t, 0, got.FailedLogins)
	assert.Equal(t, alice.ID, e.lastAudit(userstore.AuditPasswordMigrated).UserID)

	// Never asked again: right and wrong passwords are checked locally.
	_, err = e.login("alice", "legacy-secret")
	require.NoError(t, err)
	_, err = e.login("alice", "wrong")
	require.ErrorIs(t, err, userstore.ErrInvalidCredentials)
	assert.Equal(t, int64(2), calls.Load())

	// A failing hook refuses without a strike, and records why.
	_, err = e.login("broken", "anything")
	require.ErrorIs(t, err, userstore.ErrInvalidCredentials)
	assert.Equal(t, 0, e.user(broken.ID).FailedLogins)
	assert.Equal(t, userstore.ReasonMigrationFailed, e.lastAudit(userstore.AuditLoginFailed).Reason)

	// A locked user without a hash is not asked about.
	carol := e.addUser("carol", "", "", func(u *userstore.User) { u.LockedUntil = e.clock.Now().Add(time.Hour) })
	before := calls.Load()
	_, err = e.login("carol", "x")
	require.ErrorIs(t, err, userstore.ErrInvalidCredentials)
	assert.Equal(t, before, calls.Load())
	assert.Equal(t, carol.ID, e.lastAudit(userstore.AuditLoginFailed).UserID)
	assert.Equal(t, userstore.ReasonLocked, e.lastAudit(userstore.AuditLoginFailed).Reason)
}

func TestHTTPMigrationHook(t *testing.T) {
	srv, _ := legacyServer(t, map[string]string{"alice": "legacy-secret"})
	ctx := context.Background()
	auth := http.Header{"Authorization": {"Bearer hook-key"}}
	tests := []struct {
		name            string
		hook            *userstore.HTTPMigrationHook
		login, password string
		want            bool
		wantErr         string
	}{
		{"valid", &userstore.HTTPMigrationHook{URL: srv.URL, Header: auth}, "alice", "legacy-secret", true, ""},
		{"invalid", &userstore.HTTPMigrationHook{URL: srv.URL, Header: auth}, "alice", "nope", false, ""},
		{"404 is invalid", &userstore.HTTPMigrationHook{URL: srv.URL, Header: auth}, "ghost", "x", false, ""},
		{"400 is an error", &userstore.HTTPMigrationHook{URL: srv.URL}, "alice", "legacy-secret", false, "HTTP 400"},
		{"503 is an error", &userstore.HTTPMigrationHook{URL: srv.URL, Header: auth}, "broken", "x", false, "HTTP 503"},
		{"no URL", &userstore.HTTPMigrationHook{}, "alice", "x", false, "absolute URL"},
		{"plain http elsewhere", &userstore.HTTPMigrationHook{URL: "http://legacy.example.com/verify"}, "alice", "x", false, "InsecureAllowHTTP"},
		{"other scheme", &userstore.HTTPMigrationHook{URL: "ftp://legacy.example.com/verify"}, "alice", "x", false, "want https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.hook.VerifyLegacy(ctx, tt.login, tt.password)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				assert.NotContains(t, err.Error(), tt.password, "the error never holds the password")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}

	t.Run("answer without valid", func(t *testing.T) {
		bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"ok":true}`))
		}))
		defer bad.Close()
		_, err := (&userstore.HTTPMigrationHook{URL: bad.URL}).VerifyLegacy(ctx, "alice", "x")
		var he *userstore.HTTPHookError
		require.ErrorAs(t, err, &he)
		assert.Equal(t, http.StatusOK, he.StatusCode)
	})
}

package main

import (
	"crypto/x509"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/usher-sdk/usher/internal/testenv"
	"github.com/usher-sdk/usher/userstore"
)

// TestTwoProcessesShareOnePostgres: two servers on one PostgreSQL serve
// any request: a session opened on one is valid on the other, a token
// made on one works on the other and its revocation on the other stops
// it at once, and lock-out counts are shared.
func TestTwoProcessesShareOnePostgres(t *testing.T) {
	t.Parallel()
	dsn := testenv.PostgresDB(t)
	cfg := testSettings(t)
	cfg.Database = dsn
	// Both processes need the same activation key (the default file would
	// be per working folder).
	cfg.ActivationKey = "0123456789abcdef0123456789abcdef-shared"
	cfg.CADir = t.TempDir() // the device CA's files, shared like the key
	one := startTestServer(t, cfg)
	two := startTestServer(t, cfg)

	// A session from one, on two.
	c := one.signIn()
	u1, _ := url.Parse(one.srv.URL)
	u2, _ := url.Parse(two.srv.URL)
	c.Jar.SetCookies(u2, c.Jar.Cookies(u1))
	assert.Equal(t, http.StatusOK, two.get(c, "/admin/").StatusCode, "the session lives in the database")

	// A token from one, on two; revoked on two, refused on one.
	tok := one.token(scopeUsersRead, scopeUsersWrite)
	r := two.api(tok, "POST", "/api/v1/users", map[string]any{"username": "shared", "password": "a good long password"})
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
	tokens, err := two.app.server.tokens(t.Context())
	require.NoError(t, err)
	for _, tk := range tokens {
		require.NoError(t, two.app.server.revokeToken(t.Context(), tk.ID))
	}
	assert.Equal(t, http.StatusUnauthorized, one.api(tok, "GET", "/api/v1/users", nil).StatusCode)

	// Wrong passwords through both count towards one lock-out.
	for i := range 5 {
		svc := one.app.userSvc
		if i%2 == 1 {
			svc = two.app.userSvc
		}
		_, err := svc.Login(t.Context(), userstore.LoginRequest{Login: "shared", Password: "wrong"})
		require.ErrorIs(t, err, userstore.ErrInvalidCredentials)
	}
	u, err := one.app.users.GetUserByUsername(t.Context(), "shared")
	require.NoError(t, err)
	assert.True(t, u.Locked(one.app.now()), "five failures across two processes lock the account")

	// An onboarding started on one is approved on two and enrolled on
	// one; the device destroyed on two is in the CRL of one.
	obTok := one.token(scopeOnboarding)
	r = one.api(obTok, "POST", "/api/v1/applications", map[string]any{"name": "Shared", "requirements": []map[string]string{{"kind": "credentials"}, {"kind": "manual"}}})
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
	one.addUser("", "dora", "dora's long password")
	dev, _ := one.device()
	st := untilPending(t, dev, "Shared", "dora", "dora's long password")
	require.Equal(t, http.StatusNoContent, two.api(obTok, "POST", "/api/v1/activities/"+st.ActivityID+"/approve", "{}").StatusCode)
	st, err = dev.Status(t.Context(), st)
	require.NoError(t, err)
	deviceID, cert, err := dev.Enrol(t.Context(), st)
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, two.api(obTok, "DELETE", "/api/v1/devices/"+deviceID, nil).StatusCode)
	r = one.get(one.browser(), deviceAPIPrefix+"/ca.crl")
	require.Equal(t, http.StatusOK, r.StatusCode)
	crl, err := x509.ParseRevocationList([]byte(r.Body))
	require.NoError(t, err)
	require.Len(t, crl.RevokedCertificateEntries, 1)
	assert.Equal(t, 0, crl.RevokedCertificateEntries[0].SerialNumber.Cmp(cert.SerialNumber))
}

// TestBootstrapOnPostgresOnce: the first of two processes on a fresh
// PostgreSQL creates the admin; the second finds it.
func TestBootstrapOnPostgresOnce(t *testing.T) {
	t.Parallel()
	cfg := testSettings(t)
	cfg.Database = testenv.PostgresDB(t)
	cfg.ActivationKey = "0123456789abcdef0123456789abcdef-shared"
	cfg.CADir = t.TempDir()
	a := startTestServer(t, cfg)
	b, err := openApp(t.Context(), cfg, a.app.logger)
	require.NoError(t, err)
	defer b.close()
	pw, err := b.bootstrap(t.Context())
	require.NoError(t, err)
	assert.Empty(t, pw)
}

// TestPostgresPoolKeepsConnections: after a burst of more concurrent
// queries than the pool once kept idle (32), the server's pool keeps the
// connections it opened rather than closing them to open them again
// under the next burst, each a new PostgreSQL backend (BENCHMARKS.md,
// "Connections kept"). Not parallel: it holds 40 connections at once.
func TestPostgresPoolKeepsConnections(t *testing.T) {
	cfg := testSettings(t)
	cfg.Database = testenv.PostgresDB(t)
	s := startTestServer(t, cfg)
	db := s.app.server.db.SQL()
	const concurrent = 40
	for range 3 {
		var wg sync.WaitGroup
		for range concurrent {
			wg.Go(func() {
				_, err := db.ExecContext(t.Context(), "SELECT pg_sleep(0.05)")
				assert.NoError(t, err)
			})
		}
		wg.Wait()
	}
	st := db.Stats()
	assert.Zero(t, st.MaxIdleClosed, "connections closed for the idle limit")
	assert.GreaterOrEqual(t, st.OpenConnections, concurrent, "the burst's connections are still open")
	assert.Less(t, st.OpenConnections, 2*concurrent, "later bursts reused them")
}

package claims_test

import (
	"html"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/claims"
	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/internal/oidctest"
	"github.com/usher-sdk/usher/internal/testenv"
)

func TestCodeFlowWithDiscovery(t *testing.T) {
	t.Parallel()
	p := provider(t)
	c := newClient(t, p, config(p))
	ctx := ctxT(t)
	u, err := c.AuthURL(ctx, "/after")
	require.NoError(t, err)
	q := mustQuery(t, u)
	assert.Equal(t, "code", q.Get("response_type"))
	assert.Equal(t, "S256", q.Get("code_challenge_method"))
	assert.NotEmpty(t, q.Get("code_challenge"))
	assert.NotEmpty(t, q.Get("nonce"))
	assert.Equal(t, "openid profile email", q.Get("scope"))

	id, returnTo, err := c.Complete(ctx, drive(t, p, u))
	require.NoError(t, err)
	assert.Equal(t, "/after", returnTo)
	assert.Equal(t, p.URL(), id.Issuer)
	assert.Equal(t, "alice-sub", id.Subject)
	assert.Equal(t, "alice-sub", id.User.ExternalID)
	assert.Equal(t, "oidc", id.User.Source)
	assert.Equal(t, []string{"staff", "admins"}, id.Groups)
	// The code flow's ID token carries no profile claims and userinfo is off.
	assert.Empty(t, id.User.Email)
	assert.Equal(t, "alice-sub", id.User.Username)
	assert.Zero(t, p.UserInfoCalls())
}

func TestUserInfoFillsWhatTheTokenLacks(t *testing.T) {
	t.Parallel()
	p := provider(t)
	cfg := config(p)
	cfg.UserInfo = true
	c := newClient(t, p, cfg)
	id, err := signIn(t, c, p)
	require.NoError(t, err)
	assert.Equal(t, 1, p.UserInfoCalls())
	assert.Equal(t, "Alice", id.User.GivenName)
	assert.Equal(t, "Liddell", id.User.FamilyName)
	assert.Equal(t, "Alice Liddell", id.User.DisplayName)
	assert.Equal(t, "alice@example.com", id.User.Email)
	assert.True(t, id.User.EmailVerified)
	assert.Equal(t, "alice", id.User.Username)
	assert.Equal(t, "alice-sub", id.Claims["sub"])
}

func TestIDTokenFormPost(t *testing.T) {
	t.Parallel()
	p := provider(t)
	cfg := config(p)
	cfg.ResponseType = claims.ResponseIDToken
	c := newClient(t, p, cfg)
	ctx := ctxT(t)
	u, err := c.AuthURL(ctx, "")
	require.NoError(t, err)
	q := mustQuery(t, u)
	assert.Equal(t, "id_token", q.Get("response_type"))
	assert.Equal(t, "form_post", q.Get("response_mode"))
	assert.Empty(t, q.Get("code_challenge"))
	cb := drive(t, p, u)
	require.NotEmpty(t, cb.IDToken)
	id, _, err := c.Complete(ctx, cb)
	require.NoError(t, err)
	// Without an access token the provider puts the profile in the ID token.
	assert.Equal(t, "alice@example.com", id.User.Email)
}

func TestExplicitEndpoints(t *testing.T) {
	t.Parallel()
	p := provider(t)
	cfg := config(p)
	cfg.AuthURL, cfg.TokenURL = p.URL()+"/authorize", p.URL()+"/oauth/token"
	cfg.JWKSURL, cfg.UserInfoURL = p.URL()+"/keys", p.URL()+"/userinfo"
	cfg.UserInfo = true
	c := newClient(t, p, cfg)
	id, err := signIn(t, c, p)
	require.NoError(t, err)
	assert.Equal(t, "alice@example.com", id.User.Email)
}

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	p := provider(t)
	c := newClient(t, p, config(p))
	_, err := signIn(t, c, p)
	require.NoError(t, err)
	// A new key beside the old one, then a new key alone: the client
	// fetches the keys again when it meets an unknown key ID.
	p.RotateKeys(true)
	_, err = signIn(t, c, p)
	require.NoError(t, err)
	p.RotateKeys(false)
	_, err = signIn(t, c, p)
	require.NoError(t, err)
}

func TestMisbehavingProvider(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		bad  oidctest.Misbehaviour
		want error
	}{
		{"expired token", oidctest.Misbehaviour{Expired: true}, claims.ErrExpired},
		{"bad signature", oidctest.Misbehaviour{UnpublishedKey: true}, claims.ErrSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := provider(t)
			c := newClient(t, p, config(p))
			p.Misbehave(tc.bad)
			_, err := signIn(t, c, p)
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.want)
			assert.ErrorIs(t, err, claims.ErrRefused)
		})
	}
}

func TestWrongAudience(t *testing.T) {
	t.Parallel()
	p := provider(t)
	cfg := config(p)
	cfg.ResponseType = claims.ResponseIDToken
	c := newClient(t, p, cfg)
	cfg.ClientID = oidctest.OtherClientID
	other := newClient(t, p, cfg)
	ctx := ctxT(t)
	// A token the provider issued to another application, posted to this
	// client's callback with this client's state.
	u, err := other.AuthURL(ctx, "")
	require.NoError(t, err)
	stolen := drive(t, p, u)
	u, err = c.AuthURL(ctx, "")
	require.NoError(t, err)
	_, _, err = c.Complete(ctx, claims.Callback{State: mustQuery(t, u).Get("state"), IDToken: stolen.IDToken})
	assert.ErrorIs(t, err, claims.ErrAudience)
	_, err = c.VerifyIDToken(ctx, stolen.IDToken, mustQuery(t, u).Get("nonce"))
	assert.ErrorIs(t, err, claims.ErrAudience)
}

func TestReplayedNonce(t *testing.T) {
	t.Parallel()
	p := provider(t)
	c := newClient(t, p, config(p))
	_, err := signIn(t, c, p)
	require.NoError(t, err)
	p.Misbehave(oidctest.Misbehaviour{ReplayNonce: true})
	_, err = signIn(t, c, p)
	assert.ErrorIs(t, err, claims.ErrNonce)

	// A caller verifying a token itself: the token of another sign-in.
	p.Misbehave(oidctest.Misbehaviour{})
	cfg := config(p)
	cfg.ResponseType = claims.ResponseIDToken
	ci := newClient(t, p, cfg)
	ctx := ctxT(t)
	u, err := ci.AuthURL(ctx, "")
	require.NoError(t, err)
	cb := drive(t, p, u)
	_, err = ci.VerifyIDToken(ctx, cb.IDToken, "another nonce")
	assert.ErrorIs(t, err, claims.ErrNonce)
	_, err = ci.VerifyIDToken(ctx, cb.IDToken, "")
	assert.ErrorIs(t, err, claims.ErrNonce)
	id, err := ci.VerifyIDToken(ctx, cb.IDToken, mustQuery(t, u).Get("nonce"))
	require.NoError(t, err)
	assert.Equal(t, "alice-sub", id.Subject)
}

func TestWrongIssuer(t *testing.T) {
	t.Parallel()
	// The provider calls itself another issuer, in discovery and tokens.
	p, err := oidctest.Start("http://issuer.example")
	require.NoError(t, err)
	t.Cleanup(p.Close)
	p.SetRedirectURIs(redirectURL)
	p.PutUser(oidctest.User{Subject: "alice-sub"})
	p.SignInAs("alice-sub")
	cfg := config(p)
	c := newClient(t, p, cfg)
	_, err = c.AuthURL(ctxT(t), "")
	assert.ErrorIs(t, err, claims.ErrIssuer, "discovery")

	// With explicit endpoints there is no discovery to catch it: the token is refused.
	cfg.AuthURL, cfg.TokenURL, cfg.JWKSURL = p.URL()+"/authorize", p.URL()+"/oauth/token", p.URL()+"/keys"
	c = newClient(t, p, cfg)
	_, err = signIn(t, c, p)
	assert.ErrorIs(t, err, claims.ErrIssuer, "token")
}

func TestKeysUnreachable(t *testing.T) {
	t.Parallel()
	p := provider(t)
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	cfg := config(p)
	cfg.AuthURL, cfg.TokenURL, cfg.JWKSURL = p.URL()+"/authorize", p.URL()+"/oauth/token", gone.URL+"/keys"
	c := newClient(t, p, cfg)
	_, err := signIn(t, c, p)
	require.Error(t, err)
	assert.NotErrorIs(t, err, claims.ErrRefused, "an unreachable JWKS is an infrastructure fault: %v", err)
}

func TestState(t *testing.T) {
	t.Parallel()
	p := provider(t)
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	c := newClient(t, p, config(p), claims.WithClock(clock))
	ctx := ctxT(t)

	u, err := c.AuthURL(ctx, "")
	require.NoError(t, err)
	cb := drive(t, p, u)

	missing := cb
	missing.State = ""
	_, _, err = c.Complete(ctx, missing)
	assert.ErrorIs(t, err, claims.ErrState, "missing")
	wrong := cb
	wrong.State = "not-the-state"
	_, _, err = c.Complete(ctx, wrong)
	assert.ErrorIs(t, err, claims.ErrState, "wrong")

	_, _, err = c.Complete(ctx, cb)
	require.NoError(t, err)
	_, _, err = c.Complete(ctx, cb)
	assert.ErrorIs(t, err, claims.ErrState, "used twice")

	u, err = c.AuthURL(ctx, "")
	require.NoError(t, err)
	cb = drive(t, p, u)
	mu.Lock()
	now = now.Add(claims.DefaultStateTTL + time.Second)
	mu.Unlock()
	_, _, err = c.Complete(ctx, cb)
	assert.ErrorIs(t, err, claims.ErrState, "expired")
}

func TestProviderError(t *testing.T) {
	t.Parallel()
	p := provider(t)
	c := newClient(t, p, config(p))
	ctx := ctxT(t)
	u, err := c.AuthURL(ctx, "")
	require.NoError(t, err)
	_, _, err = c.Complete(ctx, claims.Callback{State: mustQuery(t, u).Get("state"), Error: "access_denied", ErrorDescription: "no"})
	var pe *claims.ProviderError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "access_denied", pe.Code)
	assert.ErrorIs(t, err, claims.ErrRefused)
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	_, err := claims.New(claims.Config{ResponseType: "token", Issuer: "ftp://x", SigningAlgorithms: []string{"RS256", "none", "HS256"},
		Mapping: claims.Mapping{Claims: map[string]string{"a": claims.FieldEmail, "b": claims.FieldEmail}}})
	require.Error(t, err)
	for _, want := range []string{`"ClientID"`, `"RedirectURL"`, "Issuer", `ResponseType "token"`, `"none" is not allowed`,
		`"HS256" is not allowed`, `claims "a" and "b" both map to field "email"`} {
		assert.Contains(t, err.Error(), want)
	}
}

// TestHandler signs in through the browser handler, with a cookie jar.
func TestHandler(t *testing.T) {
	t.Parallel()
	p := oidctest.New(t)
	p.PutUser(oidctest.User{Subject: "bob-sub", IDClaims: map[string]any{"groups": []string{"staff"}}})
	p.SignInAs("bob-sub")

	var rp *httptest.Server
	var c *claims.Client
	mux := http.NewServeMux()
	mux.Handle("/oidc/", http.StripPrefix("/oidc", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.Handler(func(w http.ResponseWriter, _ *http.Request, id claims.Identity, returnTo string) {
			_, _ = w.Write([]byte(id.Subject + " " + returnTo))
		}).ServeHTTP(w, r)
	})))
	rp = httptest.NewServer(mux)
	t.Cleanup(rp.Close)
	p.SetRedirectURIs(rp.URL + "/oidc/callback")
	cfg := config(p)
	cfg.RedirectURL = rp.URL + "/oidc/callback"
	c = newClient(t, p, cfg)

	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	browser := &http.Client{Jar: jar}
	resp, err := browser.Get(rp.URL + "/oidc/login?return_to=" + url.QueryEscape("/app?x=1"))
	require.NoError(t, err)
	body := readAll(t, resp)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "bob-sub /app?x=1", body)

	// An open redirect is not followed.
	resp, err = browser.Get(rp.URL + "/oidc/login?return_to=" + url.QueryEscape("//evil.example/"))
	require.NoError(t, err)
	assert.Equal(t, "bob-sub /", readAll(t, resp))

	// Another browser cannot complete this browser's sign-in.
	noFollow := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), rp.URL+"/oidc/callback") {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err = noFollow.Get(rp.URL + "/oidc/login")
	require.NoError(t, err)
	readAll(t, resp)
	require.Equal(t, http.StatusFound, resp.StatusCode)
	victim := &http.Client{}
	resp, err = victim.Get(resp.Header.Get("Location"))
	require.NoError(t, err)
	assert.JSONEq(t, `{"error":"sign_in_refused","message":"The sign-in was refused. Start it again."}`, readAll(t, resp))
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
}

func TestSQLStates(t *testing.T) {
	t.Parallel()
	open := map[string]func(t *testing.T) *database.DB{
		"sqlite": func(t *testing.T) *database.DB {
			db, err := database.OpenSQLite(ctxT(t), filepath.Join(t.TempDir(), "usher.db"))
			require.NoError(t, err)
			return db
		},
		"postgres": func(t *testing.T) *database.DB {
			db, err := database.Open(ctxT(t), testenv.PostgresDB(t))
			require.NoError(t, err)
			return db
		},
	}
	for name, openDB := range open {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db := openDB(t)
			t.Cleanup(func() { _ = db.Close() })
			ctx := ctxT(t)
			s, err := claims.NewSQLStates(ctx, db, true)
			require.NoError(t, err)
			_, err = claims.NewSQLStates(ctx, db, false)
			require.NoError(t, err, "schema is current")
			testStateStore(t, s)

			// Two processes on one database: one starts, the other completes.
			p := provider(t)
			a := newClient(t, p, config(p), claims.WithStateStore(s))
			b := newClient(t, p, config(p), claims.WithStateStore(s))
			u, err := a.AuthURL(ctx, "/x")
			require.NoError(t, err)
			_, returnTo, err := b.Complete(ctx, drive(t, p, u))
			require.NoError(t, err)
			assert.Equal(t, "/x", returnTo)
		})
	}
}

func TestMemoryStates(t *testing.T) {
	t.Parallel()
	testStateStore(t, &claims.MemoryStates{})
}

func testStateStore(t *testing.T, s claims.StateStore) {
	t.Helper()
	ctx := ctxT(t)
	exp := time.Now().Add(time.Minute).Truncate(time.Millisecond)
	require.NoError(t, s.Put(ctx, "st-1", claims.Pending{Nonce: "n", Verifier: "v", ReturnTo: "/r", Expires: exp}))
	_, err := s.Take(ctx, "st-2")
	assert.ErrorIs(t, err, claims.ErrStateNotFound)

	var wg sync.WaitGroup
	var mu sync.Mutex
	got := 0
	for range 8 {
		wg.Go(func() {
			p, err := s.Take(ctx, "st-1")
			if err == nil {
				mu.Lock()
				got++
				mu.Unlock()
				assert.Equal(t, "n", p.Nonce)
				assert.Equal(t, "v", p.Verifier)
				assert.Equal(t, "/r", p.ReturnTo)
				assert.True(t, exp.Equal(p.Expires))
			} else {
				assert.ErrorIs(t, err, claims.ErrStateNotFound)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 1, got, "exactly one taker")

	// An expired entry is purged by the next Put.
	require.NoError(t, s.Put(ctx, "old", claims.Pending{Nonce: "n", Expires: time.Now().Add(-time.Minute)}))
	require.NoError(t, s.Put(ctx, "new", claims.Pending{Nonce: "n", Expires: exp}))
	_, err = s.Take(ctx, "old")
	assert.ErrorIs(t, err, claims.ErrStateNotFound)
	_, err = s.Take(ctx, "new")
	assert.NoError(t, err)
}

func mustQuery(t *testing.T, u string) url.Values {
	t.Helper()
	pu, err := url.Parse(u)
	require.NoError(t, err)
	return pu.Query()
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

func TestRolesAtEverySignIn(t *testing.T) {
	t.Parallel()
	p := provider(t)
	cfg := config(p)
	cfg.Mapping.GroupRoles = map[string][]string{"admins": {"admin"}, "staff": {"user"}, "sales": {"seller"}}
	c := newClient(t, p, cfg)
	id, err := signIn(t, c, p)
	require.NoError(t, err)
	assert.Equal(t, []string{"admin", "user"}, id.Roles)
	assert.Empty(t, id.Warnings)

	// Moved from admins to sales at the provider: the next sign-in says so.
	p.PutUser(oidctest.User{Subject: "alice-sub", IDClaims: map[string]any{"groups": []string{"staff", "sales"}}})
	id, err = signIn(t, c, p)
	require.NoError(t, err)
	assert.Equal(t, []string{"seller", "user"}, id.Roles)

	// In no mapped group, without default roles: no roles, and a warning.
	p.PutUser(oidctest.User{Subject: "alice-sub", IDClaims: map[string]any{"groups": []string{"nobody"}}})
	id, err = signIn(t, c, p)
	require.NoError(t, err)
	assert.Empty(t, id.Roles)
	assert.Len(t, id.Warnings, 1)
}

// TestRefusalLogged: a refused sign-in is logged at Info with its reason,
// and no state, code, nonce or token reaches the log.
func TestRefusalLogged(t *testing.T) {
	t.Parallel()
	p := provider(t)
	var buf syncBuffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := newClient(t, p, config(p), claims.WithLogger(log))
	p.Misbehave(oidctest.Misbehaviour{Expired: true})
	ctx := ctxT(t)
	u, err := c.AuthURL(ctx, "")
	require.NoError(t, err)
	cb := drive(t, p, u)
	_, _, err = c.Complete(ctx, cb)
	require.ErrorIs(t, err, claims.ErrExpired)
	out := buf.String()
	assert.Contains(t, out, "level=INFO")
	assert.Contains(t, out, "claims: sign-in refused")
	assert.Contains(t, out, "token expired")
	for _, secret := range []string{cb.State, cb.Code, mustQuery(t, u).Get("nonce")} {
		assert.NotContains(t, out, secret)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestHandlerFormPost signs in through the handler with the id_token
// flow: the provider's page posts the token to the callback, over https
// because the binding cookie is SameSite=None and Secure.
func TestHandlerFormPost(t *testing.T) {
	t.Parallel()
	p := provider(t)
	var c *claims.Client
	rp := httptest.NewTLSServer(http.StripPrefix("/oidc", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.Handler(func(w http.ResponseWriter, _ *http.Request, id claims.Identity, returnTo string) {
			_, _ = w.Write([]byte(id.User.Email + " " + returnTo))
		}).ServeHTTP(w, r)
	})))
	t.Cleanup(rp.Close)
	p.SetRedirectURIs(rp.URL + "/oidc/callback")
	cfg := config(p)
	cfg.RedirectURL = rp.URL + "/oidc/callback"
	cfg.ResponseType = claims.ResponseIDToken
	c = newClient(t, p, cfg)

	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	browser := rp.Client()
	browser.Jar = jar
	resp, err := browser.Get(rp.URL + "/oidc/login?return_to=/inbox")
	require.NoError(t, err)
	page := readAll(t, resp)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	form := url.Values{}
	for _, m := range inputRE.FindAllStringSubmatch(page, -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	require.NotEmpty(t, form.Get("id_token"))
	resp, err = browser.PostForm(rp.URL+"/oidc/callback", form)
	require.NoError(t, err)
	assert.Equal(t, "alice@example.com /inbox", readAll(t, resp))
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	// The same post again: the state is used.
	resp, err = browser.PostForm(rp.URL+"/oidc/callback", form)
	require.NoError(t, err)
	readAll(t, resp)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
}

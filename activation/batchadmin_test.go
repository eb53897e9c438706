package activation_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/activation"
	"github.com/usher-sdk/usher/hasher"
	"github.com/usher-sdk/usher/userstore"
)

// importerPassword is the batch admin's password in these tests.
const importerPassword = "the importer's long secret"

// batchEnv is a Manager whose batch admin "importer" is checked by a
// ServiceAuthenticator over a read-only userstore.Service, as in a real
// pool, beside the read-write Service of the pool's own logins.
type batchEnv struct {
	*env
	svc  *userstore.Service // read-write: the pool's logins
	logs *bytes.Buffer
}

func newBatchEnv(t *testing.T, store userstore.Store) *batchEnv {
	t.Helper()
	ctx := context.Background()
	hashers, err := hasher.NewRegistry("sha512-crypt", hasher.Config{Legacy: hasher.LegacyParams{SHACryptRounds: 1000}})
	require.NoError(t, err)
	cfg := userstore.Config{MaxFailedLogins: 5}
	svc, err := userstore.NewService(store, hashers, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = svc.Close() })
	cfg.ReadOnly = true
	readOnly, err := userstore.NewService(store, hashers, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = readOnly.Close() })
	auth, err := activation.NewServiceAuthenticator(readOnly)
	require.NoError(t, err)

	importer, err := store.CreateUser(ctx, userstore.User{Username: "importer", Enabled: true})
	require.NoError(t, err)
	require.NoError(t, svc.SetUserPassword(ctx, importer.ID, importerPassword))

	logs := &bytes.Buffer{}
	e := newEnv(t, store, enabled(activation.Settings{BatchAdmins: []string{"importer"}}),
		activation.WithAuthenticator(auth), activation.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	return &batchEnv{env: e, svc: svc, logs: logs}
}

// pgCreate sends a PortalGuard create for jdoe from remote with the batch
// admin's password and returns the status and reply.
func (e *batchEnv) pgCreate(t *testing.T, remote, password string) (int, string) {
	t.Helper()
	form := pgForm(nil)
	form.Set("BatchAdminPassword", password)
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = remote + ":40000"
	return do(t, e.m.PortalGuardHandler(), req)
}

// batchPost sends a BatchHandler create for jdoe from remote.
func (e *batchEnv) batchPost(t *testing.T, remote, password string) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/codes", strings.NewReader(`{"username":"jdoe"}`))
	req.SetBasicAuth("importer", password)
	req.RemoteAddr = remote + ":40000"
	status, _ := do(t, e.m.BatchHandler(), req)
	return status
}

func batchRefusals(t *testing.T, store userstore.Store) []userstore.AuditEvent {
	t.Helper()
	var out []userstore.AuditEvent
	for ev, err := range store.Audit(context.Background(), userstore.AuditFilter{Kind: activation.AuditBatchAdminFailed}) {
		require.NoError(t, err)
		out = append(out, ev)
	}
	return out
}

const badAdmin = "<min_error>1100</min_error>"

// TestBatchAdminThrottle: five wrong passwords from one address block it
// (even the right password is refused, without being checked) until the
// block ends, while another address still gets in; every wrong and every
// throttled attempt is audited, and nothing typed is logged.
func TestBatchAdminThrottle(t *testing.T) {
	onEveryStore(t, func(t *testing.T, store userstore.Store) {
		e := newBatchEnv(t, store)
		const attacker, pipeline = "203.0.113.9", "198.51.100.20"
		guesses := []string{"guess-one", "guess-two", "guess-three", "guess-four", "guess-five"}
		for _, g := range guesses {
			status, body := e.pgCreate(t, attacker, g)
			require.Equal(t, http.StatusOK, status)
			require.Contains(t, body, badAdmin)
		}
		_, body := e.pgCreate(t, attacker, importerPassword)
		assert.Contains(t, body, badAdmin, "the right password from a blocked address is refused")
		assert.Equal(t, http.StatusUnauthorized, e.batchPost(t, attacker, importerPassword), "both handlers share the throttle")

		_, body = e.pgCreate(t, pipeline, importerPassword)
		assert.Contains(t, body, "<otp>", "another address gets in")
		assert.Equal(t, http.StatusCreated, e.batchPost(t, pipeline, importerPassword))

		e.clock.Advance(15*time.Minute - time.Second)
		_, body = e.pgCreate(t, attacker, importerPassword)
		assert.Contains(t, body, badAdmin, "still blocked a second before the end")
		e.clock.Advance(time.Second)
		_, body = e.pgCreate(t, attacker, importerPassword)
		assert.Contains(t, body, "<otp>", "the block has ended")

		evs := batchRefusals(t, store) // newest first
		require.Len(t, evs, len(guesses)+3)
		for i, ev := range evs[:3] {
			assert.Equal(t, activation.ReasonThrottled, ev.Reason, "event %d", i)
			assert.Equal(t, attacker, ev.Remote)
			assert.Equal(t, "importer", ev.Login)
			assert.NotEmpty(t, ev.Detail["blockedUntil"])
		}
		for i, ev := range evs[3:] {
			n := len(guesses) - i
			assert.Equal(t, activation.ReasonBatchAdminRefused, ev.Reason)
			assert.Equal(t, attacker, ev.Remote)
			assert.Equal(t, "importer", ev.Login)
			assert.Equal(t, map[string]string{"failures": []string{"", "1", "2", "3", "4", "5"}[n]},
				withoutKey(ev.Detail, "blockedUntil"), "attempt %d", n)
			assert.Equal(t, n == len(guesses), ev.Detail["blockedUntil"] != "", "only the fifth blocks")
		}

		logs := e.logs.String()
		assert.Contains(t, logs, "activation: batch admin refused")
		assert.Contains(t, logs, "activation: batch admin attempt throttled")
		assert.Contains(t, logs, "remote="+attacker)
		for _, typed := range append(guesses, importerPassword, "importer") {
			assert.NotContains(t, logs, typed, "what was typed is never logged")
		}

		u := mustUser(t, store, "importer")
		assert.Zero(t, u.FailedLogins, "nothing counted towards the lock-out")
		assert.True(t, u.LockedUntil.IsZero())
	})
}

func withoutKey(m map[string]string, key string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}

// TestBatchAdminNeverLocks: a hundred wrong passwords, from twenty
// addresses so that every one reaches the password check, never lock the
// batch admin: the right password works from another address, and the
// pool's own login still takes it.
func TestBatchAdminNeverLocks(t *testing.T) {
	onEveryStore(t, func(t *testing.T, store userstore.Store) {
		e := newBatchEnv(t, store)
		for i := range 100 {
			remote := "192.0.2." + strconv.Itoa(1+i/5) // 20 addresses, 5 each
			_, body := e.pgCreate(t, remote, "wrong guess")
			require.Contains(t, body, badAdmin, "attempt %d", i)
		}
		evs := batchRefusals(t, store)
		require.Len(t, evs, 100)
		for _, ev := range evs {
			require.Equal(t, activation.ReasonBatchAdminRefused, ev.Reason, "every one was checked, none throttled")
		}
		u := mustUser(t, store, "importer")
		assert.Zero(t, u.FailedLogins)
		assert.True(t, u.LockedUntil.IsZero(), "not locked")

		_, body := e.pgCreate(t, "198.51.100.20", importerPassword)
		assert.Contains(t, body, "<otp>", "the right password works from another address")
		_, err := e.svc.Login(context.Background(), userstore.LoginRequest{Login: "importer", Password: importerPassword})
		assert.NoError(t, err, "the pool's own login is not locked either")
	})
}

// TestBatchAdminNotAnAdminCounts: the right password of a user who is not
// a batch admin is a wrong attempt like any other.
func TestBatchAdminNotAnAdminCounts(t *testing.T) {
	e := newHTTPEnv(t, openMem(t), enabled(activation.Settings{BatchAdminMaxFailures: 2}))
	form := pgForm(nil)
	form.Set("BatchAdminUsername", "jdoe")
	for range 2 {
		_, body := pgPostFrom(t, e, form, "192.0.2.1")
		require.Contains(t, body, badAdmin)
	}
	assert.Equal(t, activation.ReasonNotBatchAdmin, batchRefusals(t, e.store)[1].Reason)
	_, body := pgPostFrom(t, e, pgForm(nil), "192.0.2.1")
	assert.Contains(t, body, badAdmin, "blocked")
	assert.Equal(t, activation.ReasonThrottled, batchRefusals(t, e.store)[0].Reason)
}

// TestBatchAdminCheckFailureIsNotCounted: when the Authenticator cannot
// check, the request fails as internal and the address is not charged.
func TestBatchAdminCheckFailureIsNotCounted(t *testing.T) {
	down := errors.New("store down")
	var broken atomic.Bool
	broken.Store(true)
	auth := activation.AuthenticatorFunc(func(_ context.Context, _, password, _ string) (bool, error) {
		if broken.Load() {
			return false, down
		}
		return password == "admin-secret", nil
	})
	store := openMem(t)
	e := newEnv(t, store, enabled(activation.Settings{BatchAdmins: []string{"importer"}, BatchAdminMaxFailures: 1}),
		activation.WithAuthenticator(auth))
	for range 5 {
		_, body := pgPostFrom(t, e, pgForm(nil), "192.0.2.1")
		require.Contains(t, body, "<min_error>1900</min_error>")
	}
	req := httptest.NewRequest(http.MethodPost, "/codes", strings.NewReader(`{"username":"jdoe"}`))
	req.SetBasicAuth("importer", "admin-secret")
	status, _ := do(t, e.m.BatchHandler(), req)
	assert.Equal(t, http.StatusInternalServerError, status)
	assert.Empty(t, batchRefusals(t, store))

	broken.Store(false)
	_, body := pgPostFrom(t, e, pgForm(nil), "192.0.2.1")
	assert.Contains(t, body, "<otp>", "the failures to check were not counted")
}

// TestBatchAdminThrottleHoldsUnderConcurrency: of many concurrent wrong
// attempts from one address, no more than the limit reach the password
// check.
func TestBatchAdminThrottleHoldsUnderConcurrency(t *testing.T) {
	var checks atomic.Int32
	auth := activation.AuthenticatorFunc(func(context.Context, string, string, string) (bool, error) {
		checks.Add(1)
		time.Sleep(5 * time.Millisecond)
		return false, nil
	})
	e := newEnv(t, openMem(t), enabled(activation.Settings{BatchAdmins: []string{"importer"}}), activation.WithAuthenticator(auth))
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			req := httptest.NewRequest(http.MethodPost, "/codes", strings.NewReader(`{"username":"jdoe"}`))
			req.SetBasicAuth("importer", "guess")
			req.RemoteAddr = "203.0.113.9:1234"
			rec := httptest.NewRecorder()
			e.m.BatchHandler().ServeHTTP(rec, req)
			assert.Equal(t, http.StatusUnauthorized, rec.Code)
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, checks.Load(), int32(5), "at most BatchAdminMaxFailures checked")
	assert.Len(t, batchRefusals(t, e.store), 50, "every attempt audited")
}

func openMem(t *testing.T) userstore.Store {
	t.Helper()
	return storeCases()[0].Open(t)
}

func pgPostFrom(t *testing.T, e *env, form url.Values, remote string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = remote + ":40000"
	return do(t, e.m.PortalGuardHandler(), req)
}

// TestNewServiceAuthenticatorRefusesReadWrite: a read-write Service would
// lock the batch admin out, so it is refused.
func TestNewServiceAuthenticatorRefusesReadWrite(t *testing.T) {
	hashers, err := hasher.NewRegistry("sha512-crypt", hasher.Config{Legacy: hasher.LegacyParams{SHACryptRounds: 1000}})
	require.NoError(t, err)
	svc, err := userstore.NewService(openMem(t), hashers, userstore.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = svc.Close() })
	_, err = activation.NewServiceAuthenticator(svc)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "read-only")
	_, err = activation.NewServiceAuthenticator(nil)
	require.Error(t, err)
}

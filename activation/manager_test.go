package activation_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/activation"
	"github.com/usher-sdk/usher/userstore"
)

func TestActivateAndSetPassword(t *testing.T) {
	onEveryStore(t, func(t *testing.T, store userstore.Store) {
		ctx := context.Background()
		e := newEnv(t, store, enabled(activation.Settings{HyphenEvery: 4}))

		c, err := e.m.Create(ctx, "JDoe", map[string]string{"BirthDate": "1990-01-31"})
		require.NoError(t, err)
		assert.Regexp(t, `^[`+testAlphabet+`]{4}-[`+testAlphabet+`]{4}-[`+testAlphabet+`]{4}$`, c.Code)
		assert.Equal(t, e.clock.Now().Add(30*24*time.Hour), c.ExpiresAt.UTC())

		// Typed in lower case with spaces instead of hyphens; extra names
		// without regard to case, values trimmed.
		typed := strings.ToLower(strings.ReplaceAll(c.Code, "-", " "))
		pt, err := e.m.Activate(ctx, activation.Request{
			Username: "jdoe", Code: typed, Extra: map[string]string{"birthdate": " 1990-01-31 "},
		})
		require.NoError(t, err)
		assert.NotEmpty(t, pt.Token)
		assert.Equal(t, e.clock.Now().Add(15*time.Minute), pt.ExpiresAt.UTC())

		// The code is used up while the window is open.
		_, err = e.m.Activate(ctx, activation.Request{Username: "jdoe", Code: c.Code, Extra: map[string]string{"birthdate": "1990-01-31"}})
		require.ErrorIs(t, err, activation.ErrActivationFailed)
		assert.Equal(t, activation.ReasonNoActivationData, lastRefusal(t, store).Reason)

		require.NoError(t, e.m.SetPassword(ctx, pt.Token, "correct horse battery"))
		u, err := store.GetUser(ctx, e.user.ID)
		require.NoError(t, err)
		assert.True(t, u.Enabled, "completing activation enables the account")
		assert.NotEmpty(t, u.PasswordHash)
		assert.False(t, u.MustChangePassword)

		// Activation data is cleared; the token is single-use.
		for _, kind := range []string{"activation", "activation-password"} {
			toks, err := store.UserTokens(ctx, kind, e.user.ID)
			require.NoError(t, err)
			assert.Empty(t, toks, kind)
		}
		require.ErrorIs(t, e.m.SetPassword(ctx, pt.Token, "another password"), activation.ErrInvalidToken)
		_, err = e.m.Activate(ctx, activation.Request{Username: "jdoe", Code: c.Code, Extra: map[string]string{"birthdate": "1990-01-31"}})
		require.ErrorIs(t, err, activation.ErrActivationFailed)
	})
}

func TestActivateErrors(t *testing.T) {
	type step func(t *testing.T, e *env, code string) activation.Request
	req := func(code string) activation.Request {
		return activation.Request{Username: "jdoe", Code: code, Extra: map[string]string{"pin": "4711"}, Remote: "192.0.2.9"}
	}
	cases := []struct {
		name     string
		settings activation.Settings
		opts     []activation.Option
		prepare  step
		want     []error
		reason   string // of the audit event, for ErrActivationFailed
		strikes  int
	}{
		{name: "disabled", settings: activation.Settings{Enabled: false},
			prepare: func(t *testing.T, e *env, code string) activation.Request { return req("ABCDEFGHJKLM") },
			want:    []error{activation.ErrDisabled}},
		{name: "unknown user", settings: enabled(activation.Settings{}),
			prepare: func(t *testing.T, e *env, code string) activation.Request {
				r := req(code)
				r.Username = "nobody"
				return r
			},
			want: []error{activation.ErrActivationFailed}, reason: userstore.ReasonUnknownUser},
		{name: "empty username", settings: enabled(activation.Settings{}),
			prepare: func(t *testing.T, e *env, code string) activation.Request {
				r := req(code)
				r.Username = "  "
				return r
			},
			want: []error{activation.ErrInvalidInput}},
		{name: "no activation data", settings: enabled(activation.Settings{}),
			prepare: func(t *testing.T, e *env, code string) activation.Request {
				require.NoError(t, e.m.Delete(context.Background(), "jdoe"))
				return req(code)
			},
			want: []error{activation.ErrActivationFailed}, reason: activation.ReasonNoActivationData},
		{name: "expired", settings: enabled(activation.Settings{ExpiryDays: 2}),
			prepare: func(t *testing.T, e *env, code string) activation.Request {
				e.clock.Advance(48 * time.Hour)
				return req(code)
			},
			want: []error{activation.ErrActivationFailed}, reason: activation.ReasonExpired},
		{name: "not yet expired", settings: enabled(activation.Settings{ExpiryDays: 2}),
			prepare: func(t *testing.T, e *env, code string) activation.Request {
				e.clock.Advance(48*time.Hour - time.Second)
				return req(code)
			}},
		{name: "wrong code is a strike", settings: enabled(activation.Settings{}),
			prepare: func(t *testing.T, e *env, code string) activation.Request { return req(wrongCode(code)) },
			want:    []error{activation.ErrActivationFailed}, reason: activation.ReasonWrongCode, strikes: 1},
		{name: "wrong extra data after the code", settings: enabled(activation.Settings{}),
			prepare: func(t *testing.T, e *env, code string) activation.Request {
				r := req(code)
				r.Extra["pin"] = "0000"
				return r
			},
			want: []error{activation.ErrActivationFailed}, reason: activation.ReasonWrongExtraData},
		{name: "missing extra data", settings: enabled(activation.Settings{}),
			prepare: func(t *testing.T, e *env, code string) activation.Request {
				r := req(code)
				r.Extra = nil
				return r
			},
			want: []error{activation.ErrActivationFailed}, reason: activation.ReasonWrongExtraData},
		{name: "extra data first: wrong extra, wrong code, no strike", settings: enabled(activation.Settings{VerifyExtraDataFirst: true}),
			prepare: func(t *testing.T, e *env, code string) activation.Request {
				r := req(wrongCode(code))
				r.Extra["pin"] = "0000"
				return r
			},
			want: []error{activation.ErrActivationFailed}, reason: activation.ReasonWrongExtraData},
		{name: "extra data last: wrong extra, wrong code, a strike", settings: enabled(activation.Settings{}),
			prepare: func(t *testing.T, e *env, code string) activation.Request {
				r := req(wrongCode(code))
				r.Extra["pin"] = "0000"
				return r
			},
			want: []error{activation.ErrActivationFailed}, reason: activation.ReasonWrongCode, strikes: 1},
		{name: "captcha refused", settings: enabled(activation.Settings{RequireCaptcha: true}),
			opts: []activation.Option{activation.WithCaptcha(captchaFunc(func(resp string) (bool, error) { return resp == "ok", nil }))},
			prepare: func(t *testing.T, e *env, code string) activation.Request {
				r := req(code)
				r.Captcha = "bot"
				return r
			},
			want: []error{activation.ErrCaptchaFailed}},
		{name: "captcha accepted", settings: enabled(activation.Settings{RequireCaptcha: true}),
			opts: []activation.Option{activation.WithCaptcha(captchaFunc(func(resp string) (bool, error) { return resp == "ok", nil }))},
			prepare: func(t *testing.T, e *env, code string) activation.Request {
				r := req(code)
				r.Captcha = "ok"
				return r
			}},
		{name: "captcha service down", settings: enabled(activation.Settings{RequireCaptcha: true}),
			opts:    []activation.Option{activation.WithCaptcha(captchaFunc(func(string) (bool, error) { return false, errors.New("siteverify: 503") }))},
			prepare: func(t *testing.T, e *env, code string) activation.Request { return req(code) },
			want:    []error{}},
		{name: "locked by wrong passwords", settings: enabled(activation.Settings{}),
			prepare: func(t *testing.T, e *env, code string) activation.Request {
				_, err := e.store.RecordFailedLogin(context.Background(), e.user.ID, 1, time.Hour, e.clock.Now())
				require.NoError(t, err)
				return req(code)
			},
			want: []error{activation.ErrActivationFailed}, reason: userstore.ReasonLocked, strikes: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			onEveryStore(t, func(t *testing.T, store userstore.Store) {
				ctx := context.Background()
				e := newEnv(t, store, tc.settings, tc.opts...)
				code := "ABCDEFGHJKLM"
				if tc.settings.Enabled {
					c, err := e.m.Create(ctx, "jdoe", map[string]string{"PIN": "4711"})
					require.NoError(t, err)
					code = c.Code
				}
				pt, err := e.m.Activate(ctx, tc.prepare(t, e, code))
				switch {
				case tc.want == nil:
					require.NoError(t, err)
					assert.NotEmpty(t, pt.Token)
				case len(tc.want) == 0:
					require.Error(t, err, "an infrastructure error")
					for _, sentinel := range []error{activation.ErrCaptchaFailed, activation.ErrActivationFailed} {
						assert.NotErrorIs(t, err, sentinel)
					}
				default:
					for _, w := range tc.want {
						require.ErrorIs(t, err, w)
					}
					assert.Empty(t, pt.Token)
				}
				if tc.reason != "" {
					ev := lastRefusal(t, store)
					assert.Equal(t, tc.reason, ev.Reason)
					assert.Equal(t, "192.0.2.9", ev.Remote)
					if tc.reason != userstore.ReasonUnknownUser {
						assert.Equal(t, e.user.ID, ev.UserID)
					} else {
						assert.Empty(t, ev.UserID)
					}
				} else {
					assert.Empty(t, refusals(t, store), "no refusal is audited")
				}
				u, err := store.GetUser(ctx, e.user.ID)
				require.NoError(t, err)
				assert.Equal(t, tc.strikes, u.FailedLogins, "strikes")
			})
		})
	}
}

// refusals returns the audit events of refused activations, newest first.
func refusals(t *testing.T, store userstore.Store) []userstore.AuditEvent {
	t.Helper()
	var out []userstore.AuditEvent
	for ev, err := range store.Audit(context.Background(), userstore.AuditFilter{Kind: activation.AuditFailed}) {
		require.NoError(t, err)
		out = append(out, ev)
	}
	return out
}

// lastRefusal returns the audit event of the latest refused activation.
func lastRefusal(t *testing.T, store userstore.Store) userstore.AuditEvent {
	t.Helper()
	evs := refusals(t, store)
	require.NotEmpty(t, evs, "no refused activation audited")
	return evs[0]
}

// wrongCode returns a code of the same shape that differs in one place.
func wrongCode(code string) string {
	b := []byte(normalize(code))
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}

type captchaFunc func(response string) (bool, error)

func (f captchaFunc) VerifyCaptcha(_ context.Context, response, _ string) (bool, error) {
	return f(response)
}

func TestStrikeOut(t *testing.T) {
	for _, deleteData := range []bool{false, true} {
		t.Run(map[bool]string{false: "keep data", true: "delete data"}[deleteData], func(t *testing.T) {
			onEveryStore(t, func(t *testing.T, store userstore.Store) {
				ctx := context.Background()
				e := newEnv(t, store, enabled(activation.Settings{
					MaxStrikes: 3, LockoutDuration: 10 * time.Minute, DeleteOnStrikeOut: deleteData,
				}))
				c, err := e.m.Create(ctx, "jdoe", nil)
				require.NoError(t, err)
				bad := activation.Request{Username: "jdoe", Code: wrongCode(c.Code)}
				for i := range 2 {
					_, err := e.m.Activate(ctx, bad)
					require.ErrorIs(t, err, activation.ErrActivationFailed, "strike %d", i+1)
					ev := lastRefusal(t, store)
					assert.Equal(t, activation.ReasonWrongCode, ev.Reason, "strike %d", i+1)
					assert.Equal(t, map[string]string{"failedLogins": fmt.Sprint(i + 1)}, ev.Detail, "strike %d", i+1)
				}
				_, err = e.m.Activate(ctx, bad)
				require.ErrorIs(t, err, activation.ErrActivationFailed)
				ev := lastRefusal(t, store)
				assert.Equal(t, activation.ReasonWrongCode, ev.Reason)
				assert.Equal(t, map[string]string{"failedLogins": "3", "locked": "true"}, ev.Detail, "the third strike locks")

				// Even the right code is refused while locked, and is no strike.
				_, err = e.m.Activate(ctx, activation.Request{Username: "jdoe", Code: c.Code})
				require.ErrorIs(t, err, activation.ErrActivationFailed)
				assert.Equal(t, userstore.ReasonLocked, lastRefusal(t, store).Reason)
				u, err := store.GetUser(ctx, e.user.ID)
				require.NoError(t, err)
				assert.Equal(t, 3, u.FailedLogins)
				assert.True(t, u.Locked(e.clock.Now()))

				e.clock.Advance(10 * time.Minute)
				_, err = e.m.Activate(ctx, activation.Request{Username: "jdoe", Code: c.Code})
				if deleteData {
					require.ErrorIs(t, err, activation.ErrActivationFailed)
					assert.Equal(t, activation.ReasonNoActivationData, lastRefusal(t, store).Reason)
					return
				}
				require.NoError(t, err, "after the lock-out the code works again")
			})
		})
	}
}

func TestPasswordWindow(t *testing.T) {
	onEveryStore(t, func(t *testing.T, store userstore.Store) {
		ctx := context.Background()
		e := newEnv(t, store, enabled(activation.Settings{PasswordSetMinutes: 5}))
		c, err := e.m.Create(ctx, "jdoe", nil)
		require.NoError(t, err)
		pt, err := e.m.Activate(ctx, activation.Request{Username: "jdoe", Code: c.Code})
		require.NoError(t, err)

		// A password the policy refuses keeps the token usable.
		err = e.m.SetPassword(ctx, pt.Token, "short")
		require.ErrorIs(t, err, userstore.ErrPolicy)
		assert.ErrorContains(t, err, "at least 8")

		// The window passes: the token is refused and the code comes back.
		e.clock.Advance(5 * time.Minute)
		require.ErrorIs(t, e.m.SetPassword(ctx, pt.Token, "long enough now"), activation.ErrTokenExpired)
		require.ErrorIs(t, e.m.SetPassword(ctx, pt.Token, "long enough now"), activation.ErrInvalidToken)
		pt2, err := e.m.Activate(ctx, activation.Request{Username: "jdoe", Code: c.Code})
		require.NoError(t, err, "activate again with the same code")

		// The window passes unused: Activate reclaims the code by itself.
		e.clock.Advance(6 * time.Minute)
		pt3, err := e.m.Activate(ctx, activation.Request{Username: "jdoe", Code: c.Code})
		require.NoError(t, err)
		require.ErrorIs(t, e.m.SetPassword(ctx, pt2.Token, "long enough now"), activation.ErrInvalidToken)
		require.NoError(t, e.m.SetPassword(ctx, pt3.Token, "long enough now"))

		require.ErrorIs(t, e.m.SetPassword(ctx, "", "long enough now"), activation.ErrInvalidToken)
		require.ErrorIs(t, e.m.SetPassword(ctx, "made-up", "long enough now"), activation.ErrInvalidToken)
	})
}

func TestCreateReplacesAndDelete(t *testing.T) {
	onEveryStore(t, func(t *testing.T, store userstore.Store) {
		ctx := context.Background()
		e := newEnv(t, store, enabled(activation.Settings{}))
		first, err := e.m.Create(ctx, "jdoe", nil)
		require.NoError(t, err)
		pt, err := e.m.Activate(ctx, activation.Request{Username: "jdoe", Code: first.Code})
		require.NoError(t, err)

		second, err := e.m.Create(ctx, "jdoe", nil)
		require.NoError(t, err)
		require.NotEqual(t, first.Code, second.Code)
		require.ErrorIs(t, e.m.SetPassword(ctx, pt.Token, "long enough now"), activation.ErrInvalidToken,
			"a new code closes the open window")
		_, err = e.m.Activate(ctx, activation.Request{Username: "jdoe", Code: first.Code})
		require.ErrorIs(t, err, activation.ErrActivationFailed)
		assert.Equal(t, activation.ReasonWrongCode, lastRefusal(t, store).Reason, "the old code is gone")

		require.NoError(t, e.m.Delete(ctx, "jdoe"))
		require.ErrorIs(t, e.m.Delete(ctx, "jdoe"), activation.ErrNoActivationData)
		require.ErrorIs(t, e.m.Delete(ctx, "nobody"), activation.ErrUserNotFound)
		_, err = e.m.Activate(ctx, activation.Request{Username: "jdoe", Code: second.Code})
		require.ErrorIs(t, err, activation.ErrActivationFailed)
		assert.Equal(t, activation.ReasonNoActivationData, lastRefusal(t, store).Reason)
		_, err = e.m.Create(ctx, "nobody", nil)
		require.ErrorIs(t, err, activation.ErrUserNotFound)
	})
}

func TestCreateRefusesBadExtraData(t *testing.T) {
	long := strings.Repeat("x", 1025)
	many := map[string]string{}
	for i := range 33 {
		many[strings.Repeat("f", i+1)] = "v"
	}
	cases := map[string]map[string]string{
		"empty name":    {" ": "v"},
		"long value":    {"note": long},
		"long name":     {strings.Repeat("n", 65): "v"},
		"too many":      many,
		"name twice":    {"PIN": "1", "pin": "2"},
		"invalid UTF-8": {"pin": "\xff"},
	}
	for name, extra := range cases {
		t.Run(name, func(t *testing.T) {
			onEveryStore(t, func(t *testing.T, store userstore.Store) {
				ctx := context.Background()
				e := newEnv(t, store, enabled(activation.Settings{}))
				_, err := e.m.Create(ctx, "jdoe", extra)
				require.ErrorIs(t, err, activation.ErrInvalidInput)
				toks, err := store.UserTokens(ctx, "activation", e.user.ID)
				require.NoError(t, err)
				assert.Empty(t, toks, "bad input changes nothing")
			})
		})
	}
}

func TestNothingSecretStoredInPlainText(t *testing.T) {
	onEveryStore(t, func(t *testing.T, store userstore.Store) {
		ctx := context.Background()
		e := newEnv(t, store, enabled(activation.Settings{}))
		c, err := e.m.Create(ctx, "jdoe", map[string]string{"birthdate": "1990-01-31"})
		require.NoError(t, err)
		toks, err := store.UserTokens(ctx, "activation", e.user.ID)
		require.NoError(t, err)
		require.Len(t, toks, 1)
		stored := toks[0].Hash + string(toks[0].Data)
		assert.NotContains(t, stored, normalize(c.Code))
		assert.NotContains(t, stored, "1990-01-31")

		pt, err := e.m.Activate(ctx, activation.Request{Username: "jdoe", Code: c.Code, Extra: map[string]string{"birthdate": "1990-01-31"}})
		require.NoError(t, err)
		win, err := store.UserTokens(ctx, "activation-password", e.user.ID)
		require.NoError(t, err)
		require.Len(t, win, 1)
		assert.NotContains(t, win[0].Hash+string(win[0].Data), pt.Token)
	})
}

func TestKeepDisabled(t *testing.T) {
	onEveryStore(t, func(t *testing.T, store userstore.Store) {
		ctx := context.Background()
		e := newEnv(t, store, enabled(activation.Settings{KeepDisabled: true}))
		c, err := e.m.Create(ctx, "jdoe", nil)
		require.NoError(t, err)
		pt, err := e.m.Activate(ctx, activation.Request{Username: "jdoe", Code: c.Code})
		require.NoError(t, err)
		require.NoError(t, e.m.SetPassword(ctx, pt.Token, "long enough now"))
		u, err := store.GetUser(ctx, e.user.ID)
		require.NoError(t, err)
		assert.False(t, u.Enabled)
		assert.NotEmpty(t, u.PasswordHash)
	})
}

// TestActivateRace: many activations with the same right code at once;
// exactly one gets a token, the others are refused: the code is gone.
func TestActivateRace(t *testing.T) {
	onEveryStore(t, func(t *testing.T, store userstore.Store) {
		ctx := context.Background()
		e := newEnv(t, store, enabled(activation.Settings{}))
		c, err := e.m.Create(ctx, "jdoe", nil)
		require.NoError(t, err)

		const racers = 16
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			tokens []string
			errs   []error
		)
		start := make(chan struct{})
		for range racers {
			wg.Go(func() {
				<-start
				pt, err := e.m.Activate(ctx, activation.Request{Username: "jdoe", Code: c.Code})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				tokens = append(tokens, pt.Token)
			})
		}
		close(start)
		wg.Wait()
		require.Len(t, tokens, 1, "exactly one activation wins")
		for _, err := range errs {
			require.ErrorIs(t, err, activation.ErrActivationFailed)
		}
		evs := refusals(t, store)
		require.Len(t, evs, racers-1, "each refusal is audited")
		for _, ev := range evs {
			assert.Contains(t, []string{activation.ReasonCodeTaken, activation.ReasonNoActivationData}, ev.Reason)
		}
		require.NoError(t, e.m.SetPassword(ctx, tokens[0], "long enough now"))
	})
}

func TestNewRefusesBadConfiguration(t *testing.T) {
	store := storeCases()[0].Open(t)
	setter := policySetter(store)
	cases := []struct {
		name   string
		store  activation.Store
		key    []byte
		pw     activation.PasswordSetter
		s      activation.Settings
		opts   []activation.Option
		errors []string
	}{
		{"short key", store, []byte("short"), setter, enabled(activation.Settings{}), nil, []string{"key is 5 bytes"}},
		{"nil store and setter", nil, testKey, nil, enabled(activation.Settings{}), nil, []string{"nil Store", "nil PasswordSetter"}},
		{"captcha without verifier", store, testKey, setter, enabled(activation.Settings{RequireCaptcha: true}), nil, []string{"WithCaptcha"}},
		{"bad settings", store, testKey, setter, enabled(activation.Settings{CodeLength: 3}), nil, []string{"CodeLength"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := activation.New(tc.store, tc.key, tc.pw, tc.s, tc.opts...)
			require.Error(t, err)
			for _, want := range tc.errors {
				assert.ErrorContains(t, err, want)
			}
		})
	}
}

// testAlphabet is PortalGuard's code alphabet, as the package documents it.
const testAlphabet = "ABCDEFGHJKLMNPQRTUVWXY346789"

// normalize is how the package documents that typed codes compare: without
// regard to case, spaces or hyphens.
func normalize(code string) string {
	return strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(code))
}

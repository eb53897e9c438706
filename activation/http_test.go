package activation_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/activation"
	"github.com/usher-sdk/usher/userstore"
)

// batchAdmins accepts the password "admin-secret" for any username; the
// Manager then checks that the username is a configured batch admin.
var batchAdmins = activation.AuthenticatorFunc(func(_ context.Context, username, password, _ string) (bool, error) {
	return password == "admin-secret", nil
})

func newHTTPEnv(t *testing.T, store userstore.Store, s activation.Settings) *env {
	t.Helper()
	s.BatchAdmins = []string{"Importer"}
	e := newEnv(t, store, s, activation.WithAuthenticator(batchAdmins))
	_, err := store.CreateUser(context.Background(), userstore.User{Username: "importer", Enabled: true})
	require.NoError(t, err)
	return e
}

func do(t *testing.T, h http.Handler, req *http.Request) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body, err := io.ReadAll(rec.Result().Body)
	require.NoError(t, err)
	return rec.Code, string(body)
}

func TestBatchHandler(t *testing.T) {
	onEveryStore(t, func(t *testing.T, store userstore.Store) {
		e := newHTTPEnv(t, store, enabled(activation.Settings{HyphenEvery: 4}))
		h := e.m.BatchHandler()
		post := func(user, pass, body string) (int, string) {
			req := httptest.NewRequest(http.MethodPost, "/codes", strings.NewReader(body))
			if user != "" {
				req.SetBasicAuth(user, pass)
			}
			return do(t, h, req)
		}
		del := func(user, pass, username string) (int, string) {
			req := httptest.NewRequest(http.MethodDelete, "/codes/"+username, nil)
			req.SetBasicAuth(user, pass)
			return do(t, h, req)
		}

		status, body := post("importer", "admin-secret", `{"username":"jdoe","extra":{"birthdate":"1990-01-31"}}`)
		require.Equal(t, http.StatusCreated, status, body)
		var created struct {
			Code      string `json:"code"`
			ExpiresAt string `json:"expiresAt"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &created))
		assert.Len(t, created.Code, 14)
		_, err := e.m.Activate(context.Background(), activation.Request{
			Username: "jdoe", Code: created.Code, Extra: map[string]string{"birthdate": "1990-01-31"},
		})
		require.NoError(t, err, "the code the handler returned works")
		status, body = del("importer", "admin-secret", "jdoe")
		require.Equal(t, http.StatusNoContent, status, "deleting closes the open password-set window: %s", body)

		for _, tc := range []struct {
			name       string
			do         func() (int, string)
			wantStatus int
			wantError  string
		}{
			{"no credentials", func() (int, string) { return post("", "", `{"username":"jdoe"}`) }, 401, "unauthorized"},
			{"wrong password", func() (int, string) { return post("importer", "nope", `{"username":"jdoe"}`) }, 401, "unauthorized"},
			{"not a batch admin", func() (int, string) { return post("jdoe", "admin-secret", `{"username":"jdoe"}`) }, 401, "unauthorized"},
			{"unknown user", func() (int, string) { return post("importer", "admin-secret", `{"username":"nobody"}`) }, 404, "user_not_found"},
			{"bad JSON", func() (int, string) { return post("importer", "admin-secret", `{"username":`) }, 400, "invalid_input"},
			{"unknown field", func() (int, string) { return post("importer", "admin-secret", `{"user":"jdoe"}`) }, 400, "invalid_input"},
			{"bad extra", func() (int, string) {
				return post("importer", "admin-secret", `{"username":"jdoe","extra":{"":"x"}}`)
			}, 400, "invalid_input"},
			{"delete", func() (int, string) { return del("importer", "admin-secret", "jdoe") }, 404, "no_activation_data"},
			{"delete unknown", func() (int, string) { return del("importer", "admin-secret", "nobody") }, 404, "user_not_found"},
			{"delete unauthenticated", func() (int, string) { return del("importer", "x", "jdoe") }, 401, "unauthorized"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				status, body := tc.do()
				assert.Equal(t, tc.wantStatus, status, body)
				assert.Contains(t, body, `"error":"`+tc.wantError+`"`)
			})
		}

		status, body = post("importer", "admin-secret", `{"username":"jdoe"}`)
		require.Equal(t, http.StatusCreated, status, body)
		status, body = del("importer", "admin-secret", "jdoe")
		require.Equal(t, http.StatusNoContent, status, body)
	})
}

func TestUserHandler(t *testing.T) {
	onEveryStore(t, func(t *testing.T, store userstore.Store) {
		ctx := context.Background()
		e := newHTTPEnv(t, store, enabled(activation.Settings{}))
		h := e.m.UserHandler()
		post := func(path, body string) (int, string) {
			return do(t, h, httptest.NewRequest(http.MethodPost, path, strings.NewReader(body)))
		}
		c, err := e.m.Create(ctx, "jdoe", map[string]string{"pin": "4711"})
		require.NoError(t, err)

		// Unknown user, wrong code, wrong extra data, missing data: one answer.
		var answers []string
		for _, body := range []string{
			`{"username":"nobody","code":"` + c.Code + `","extra":{"pin":"4711"}}`,
			`{"username":"jdoe","code":"` + wrongCode(c.Code) + `","extra":{"pin":"4711"}}`,
			`{"username":"jdoe","code":"` + c.Code + `","extra":{"pin":"1"}}`,
			`{"username":"importer","code":"` + c.Code + `"}`,
		} {
			status, got := post("/activate", body)
			assert.Equal(t, http.StatusBadRequest, status)
			answers = append(answers, got)
		}
		for _, a := range answers[1:] {
			assert.Equal(t, answers[0], a, "the answers must not tell the cases apart")
		}
		assert.Contains(t, answers[0], `"error":"activation_failed"`)

		status, body := post("/activate", `{"username":"jdoe","code":"`+strings.ToLower(c.Code)+`","extra":{"pin":"4711"}}`)
		require.Equal(t, http.StatusOK, status, body)
		var tok struct {
			Token string `json:"token"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &tok))

		status, body = post("/password", `{"token":"`+tok.Token+`","password":"short"}`)
		assert.Equal(t, http.StatusBadRequest, status)
		assert.Contains(t, body, `"error":"password_policy"`)
		status, body = post("/password", `{"token":"`+tok.Token+`","password":"long enough now"}`)
		require.Equal(t, http.StatusNoContent, status, body)
		status, body = post("/password", `{"token":"`+tok.Token+`","password":"long enough now"}`)
		assert.Equal(t, http.StatusBadRequest, status)
		assert.Contains(t, body, `"error":"invalid_token"`)
		status, body = post("/password", `{"token":`)
		assert.Equal(t, http.StatusBadRequest, status)
		assert.Contains(t, body, `"error":"invalid_input"`)

		status, _ = do(t, h, httptest.NewRequest(http.MethodGet, "/activate", nil))
		assert.Equal(t, http.StatusMethodNotAllowed, status)
	})
}

package authrequest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/onboarding"
)

// call sends a JSON request and decodes a JSON answer into out (when not
// nil), returning the status and the error code.
func call(t *testing.T, h http.Handler, method, path, token string, body any, out any) (int, string) {
	t.Helper()
	var rd io.Reader
	if s, ok := body.(string); ok {
		rd = strings.NewReader(s)
	} else if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	var e struct {
		Error string `json:"error"`
	}
	if rec.Code >= 300 {
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &e), rec.Body.String())
		return rec.Code, e.Error
	}
	if out != nil {
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), out), rec.Body.String())
	}
	return rec.Code, ""
}

func TestThirdPartyAndDeviceAPIs(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	u := e.user(t, "frank")
	phone := e.device(t, u, false)
	other, err := e.onb.CreateApplication(ctx, onboarding.Application{Name: "Other", Requirements: []onboarding.RequirementSpec{{Kind: onboarding.KindManual}}})
	require.NoError(t, err)
	_, err = e.m.CreateProfile(ctx, authrequest.Profile{ApplicationID: e.app.ID, Name: "VPN login", NumberMatching: true})
	require.NoError(t, err)
	tok, plain, err := e.m.CreateToken(ctx, "vpn gateway", []string{e.app.ID})
	require.NoError(t, err)
	assert.NotContains(t, tok.Hash, plain)
	_, otherPlain, err := e.m.CreateToken(ctx, "other", []string{other.ID})
	require.NoError(t, err)
	api, dev := e.m.APIHandler(nil), e.m.DeviceHandler()

	body := map[string]any{"application": "vpn", "username": "frank", "profile": "vpn login", "action": "Sign in", "ttl": 120, "state": "s1"}
	st, code := call(t, api, "POST", "/v1/requests", "", body, nil)
	assert.Equal(t, http.StatusUnauthorized, st)
	assert.Equal(t, authrequest.CodeUnauthorized, code)
	st, code = call(t, api, "POST", "/v1/requests", "usher_ar_wrong", body, nil)
	assert.Equal(t, http.StatusUnauthorized, st)
	assert.Equal(t, authrequest.CodeUnauthorized, code)
	st, code = call(t, api, "POST", "/v1/requests", otherPlain, body, nil)
	assert.Equal(t, http.StatusNotFound, st, "a token for another application")
	assert.Equal(t, authrequest.CodeNotFound, code)

	var created authrequest.Created
	st, _ = call(t, api, "POST", "/v1/requests", plain, body, &created)
	require.Equal(t, http.StatusCreated, st)
	assert.Equal(t, 120, created.ExpiresIn)
	assert.NotEmpty(t, created.Number)

	st, _ = call(t, api, "GET", "/v1/requests/"+created.ID, otherPlain, nil, nil)
	assert.Equal(t, http.StatusNotFound, st, "another application's token sees nothing")

	now := e.clock.Now()
	sig, err := authrequest.Sign(phone.key, authrequest.ListMessage(phone.id, now))
	require.NoError(t, err)
	var pending []authrequest.DeviceRequest
	st, _ = call(t, dev, "POST", "/v1/devices/"+phone.id+"/pending", "", authrequest.ListBody{Time: now.Unix(), Signature: sig}, &pending)
	require.Equal(t, http.StatusOK, st)
	require.Len(t, pending, 1)
	st, code = call(t, dev, "POST", "/v1/devices/"+phone.id+"/pending", "", authrequest.ListBody{Time: now.Add(-time.Hour).Unix(), Signature: sig}, nil)
	assert.Equal(t, http.StatusForbidden, st)
	assert.Equal(t, authrequest.CodeRefused, code, "a stale proof")

	a := phone.signed(t, e, pending[0].ID, pending[0].Nonce, authrequest.Approve, created.Number, "")
	var status authrequest.Status
	st, _ = call(t, dev, "POST", "/v1/requests/"+created.ID+"/answer", "", a, &status)
	require.Equal(t, http.StatusOK, st)
	assert.Equal(t, authrequest.StateApproved, status.Status)
	st, code = call(t, dev, "POST", "/v1/requests/"+created.ID+"/answer", "", a, nil)
	assert.Equal(t, http.StatusConflict, st)
	assert.Equal(t, authrequest.CodeAnswered, code)

	st, _ = call(t, api, "GET", "/v1/requests/"+created.ID+"/wait?timeout=5", plain, nil, &status)
	require.Equal(t, http.StatusOK, st)
	assert.Equal(t, authrequest.StateApproved, status.Status)
	assert.Equal(t, "s1", status.State)
}

func TestHandlersRefuseBadInput(t *testing.T) {
	e := newEnv(t)
	_, plain, err := e.m.CreateToken(t.Context(), "t", []string{e.app.ID})
	require.NoError(t, err)
	api, dev := e.m.APIHandler(nil), e.m.DeviceHandler()
	huge := `{"application":"` + strings.Repeat("a", authrequest.MaxRequestBody) + `"}`
	for _, c := range []struct {
		name         string
		h            http.Handler
		method, path string
		body         string
		status       int
		code         string
	}{
		{"unknown field", api, "POST", "/v1/requests", `{"application":"vpn","username":"frank","admin":true}`, 400, authrequest.CodeInvalidRequest},
		{"trailing data", api, "POST", "/v1/requests", `{"application":"vpn","username":"frank"} {}`, 400, authrequest.CodeInvalidRequest},
		{"too large", api, "POST", "/v1/requests", huge, 413, authrequest.CodeTooLarge},
		{"ttl too long", api, "POST", "/v1/requests", `{"application":"vpn","username":"frank","ttl":999999}`, 400, authrequest.CodeInvalidRequest},
		{"bad timeout", api, "GET", "/v1/requests/abc/wait?timeout=x", ``, 404, authrequest.CodeNotFound},
		{"method", api, "DELETE", "/v1/requests", ``, 405, authrequest.CodeMethodNotAllowed},
		{"no endpoint", api, "GET", "/v2/x", ``, 404, authrequest.CodeNotFound},
		{"bad decision", dev, "POST", "/v1/requests/abc/answer", `{"device_id":"d","decision":"sure","nonce":"n","expiry":1,"signature":"AA=="}`, 400, authrequest.CodeInvalidRequest},
		{"bad base64", dev, "POST", "/v1/requests/abc/answer", `{"signature":"%%%"}`, 400, authrequest.CodeInvalidRequest},
		{"ask without policy", dev, "POST", "/v1/pre-approvals", `{"policy":"nope","username":"frank","period":60}`, 404, authrequest.CodeNotFound},
		{"ask bad period", dev, "POST", "/v1/pre-approvals", `{"policy":"nope","username":"frank","period":0}`, 400, authrequest.CodeInvalidRequest},
	} {
		t.Run(c.name, func(t *testing.T) {
			token := ""
			if c.h == api {
				token = plain
			}
			st, code := call(t, c.h, c.method, c.path, token, c.body, nil)
			assert.Equal(t, c.status, st)
			assert.Equal(t, c.code, code)
		})
	}
}

func FuzzDeviceHandler(f *testing.F) {
	f.Add("/v1/requests/abc/answer", `{"device_id":"d","decision":"approve","nonce":"n","expiry":1,"signature":"AA=="}`)
	f.Add("/v1/devices/abc/pending", `{"time":1,"signature":"AA=="}`)
	f.Add("/v1/requests/abc/claim", `{"device_id":"d","code":"c","time":1,"signature":"AA=="}`)
	f.Add("/v1/pre-approvals", `{"policy":"p","username":"u","period":60}`)
	e := newEnv(f)
	h := e.m.DeviceHandler()
	f.Fuzz(func(t *testing.T, path, body string) {
		if !strings.HasPrefix(path, "/") {
			return
		}
		req, err := http.NewRequest("POST", "http://usher"+path, strings.NewReader(body))
		if err != nil {
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %q: status %d: %s", path, body, rec.Code, rec.Body)
		}
	})
}

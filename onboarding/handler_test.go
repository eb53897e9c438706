package onboarding_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/onboarding/memstore"
	"github.com/usher-sdk/usher/userstore"
)

func TestDeviceHandlerErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1)
	h := f.m.DeviceHandler()
	big := `{"application":"` + strings.Repeat("a", onboarding.MaxRequestBody) + `"}`
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"too large", "POST", "/v1/onboardings", big, http.StatusRequestEntityTooLarge, onboarding.CodeTooLarge},
		{"unknown field", "POST", "/v1/onboardings", `{"application":"Bank","x":1}`, http.StatusBadRequest, onboarding.CodeInvalidRequest},
		{"trailing data", "POST", "/v1/onboardings", `{"application":"Bank"} {}`, http.StatusBadRequest, onboarding.CodeInvalidRequest},
		{"not json", "POST", "/v1/onboardings", `application=Bank`, http.StatusBadRequest, onboarding.CodeInvalidRequest},
		{"bad base64", "POST", "/v1/onboardings", `{"application":"Bank","public_key":"!!"}`, http.StatusBadRequest, onboarding.CodeInvalidRequest},
		{"unknown application", "POST", "/v1/onboardings", `{"application":"Nope","public_key":"AAAA"}`, http.StatusNotFound, onboarding.CodeUnknownApplication},
		{"bad key", "POST", "/v1/onboardings", `{"application":"Bank","public_key":"AAAA"}`, http.StatusBadRequest, onboarding.CodeUnsupportedKey},
		{"unknown onboarding", "POST", "/v1/onboardings/nope/status", `{"nonce":"x"}`, http.StatusNotFound, onboarding.CodeNotFound},
		{"unknown path", "GET", "/v2/x", ``, http.StatusNotFound, onboarding.CodeNotFound},
		{"wrong method", "GET", "/v1/onboardings", ``, http.StatusMethodNotAllowed, onboarding.CodeMethodNotAllowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body)))
			assert.Equal(t, tc.status, rec.Code)
			if tc.code == "" {
				return
			}
			var e struct{ Error, Message string }
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &e))
			assert.Equal(t, tc.code, e.Error)
			assert.NotEmpty(t, e.Message)
		})
	}
}

type downAuth struct{}

func (downAuth) Authenticate(context.Context, string, string) (userstore.User, error) {
	return userstore.User{}, fmt.Errorf("ldap: %w", directory.ErrUnavailable)
}

// A source that cannot be reached is 503 unavailable, not a refusal.
func TestDeviceHandlerUnavailable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m, err := onboarding.New(memstore.New(), failingIssuer{}, onboarding.Config{Requirements: []onboarding.Requirement{
		onboarding.Credentials{Chain: func(context.Context, onboarding.Application) (onboarding.Authenticator, error) {
			return downAuth{}, nil
		}},
	}})
	require.NoError(t, err)
	_, err = m.CreateApplication(ctx, onboarding.Application{Name: "Bank", Requirements: []onboarding.RequirementSpec{{Kind: onboarding.KindCredentials}}})
	require.NoError(t, err)
	st, err := m.Start(ctx, "Bank", newDevice(t).spki)
	require.NoError(t, err)
	body, _ := json.Marshal(onboarding.AnswerRequest{Step: 0, Nonce: st.Nonce, Answer: creds})
	rec := httptest.NewRecorder()
	m.DeviceHandler().ServeHTTP(rec, httptest.NewRequest("POST", "/v1/onboardings/"+st.ActivityID+"/answers", strings.NewReader(string(body))))
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Contains(t, rec.Body.String(), onboarding.CodeUnavailable)
}

// The audit events of a device's requests record its address.
func TestDeviceHandlerAuditsClientAddress(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1)
	body, _ := json.Marshal(onboarding.StartRequest{Application: "Bank", PublicKey: newDevice(t).spki})
	req := httptest.NewRequest("POST", "/v1/onboardings", strings.NewReader(string(body)))
	req.RemoteAddr = "203.0.113.9:51234"
	rec := httptest.NewRecorder()
	f.m.DeviceHandler().ServeHTTP(rec, req)
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	f.audit.mu.Lock()
	defer f.audit.mu.Unlock()
	require.NotEmpty(t, f.audit.events)
	assert.Equal(t, "203.0.113.9", f.audit.events[0].Remote)
}

package onboarding_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/onboarding"
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

package onboarding_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzDeviceHandler sends arbitrary bodies to every endpoint of the device
// protocol: the handler must answer JSON in Usher's error shape or a state,
// never panic and never fail with an internal error.
func FuzzDeviceHandler(f *testing.F) {
	for _, seed := range []struct {
		path int
		body string
	}{
		{0, `{"application":"Bank","public_key":"AAAA"}`},
		{1, `{"nonce":"00"}`},
		{2, `{"step":0,"nonce":"00","answer":{"username":"alice","password":"secret"}}`},
		{3, `{"csr":"MIIB"}`},
		{2, `{"step":-1,"nonce":"","answer":[]}`},
		{0, `{"application":"Bank"} {}`},
		{1, `{"nonce":"00","x":1}`},
	} {
		f.Add(seed.path, []byte(seed.body))
	}
	fx := newFixture(f, 1)
	d := newDevice(f)
	st, err := fx.m.Start(context.Background(), "Bank", d.spki)
	if err != nil {
		f.Fatal(err)
	}
	h := fx.m.DeviceHandler()
	paths := []string{"/v1/onboardings", "/v1/onboardings/" + st.ActivityID + "/status",
		"/v1/onboardings/" + st.ActivityID + "/answers", "/v1/onboardings/" + st.ActivityID + "/certificate"}
	f.Fuzz(func(t *testing.T, path int, body []byte) {
		if path < 0 {
			path = -path
		}
		req := httptest.NewRequest(http.MethodPost, paths[path%len(paths)], strings.NewReader(string(body)))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
		var v map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatalf("answer is not JSON: %q", rec.Body)
		}
		if rec.Code >= 400 {
			if _, ok := v["error"].(string); !ok {
				t.Fatalf("error answer without a code: %s", rec.Body)
			}
		}
	})
}

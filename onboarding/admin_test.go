package onboarding_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/onboarding"
)

func TestAdminHandler(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, 1)
	h := f.m.AdminHandler(func(*http.Request) string { return "root" })
	do := func(method, path, body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
		return rec
	}
	d := newDevice(t)
	st, err := f.m.Start(ctx, "Bank", d.spki)
	require.NoError(t, err)
	st, err = f.m.Answer(ctx, st.ActivityID, 0, st.Nonce, creds)
	require.NoError(t, err)
	code := st.Prompt.Code
	st, err = f.m.Answer(ctx, st.ActivityID, 1, st.Nonce, nil)
	require.NoError(t, err)

	rec := do("GET", "/v1/applications/"+f.app.ID+"/pending", "")
	require.Equal(t, http.StatusOK, rec.Code)
	var pend []onboarding.PendingView
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &pend))
	require.Len(t, pend, 1)
	assert.Equal(t, code, pend[0].Code)
	assert.Equal(t, "alice", pend[0].Login)

	svg := do("GET", pend[0].Picture, "")
	assert.Equal(t, "image/svg+xml", svg.Header().Get("Content-Type"))
	assert.Contains(t, svg.Body.String(), "<svg")
	png := do("GET", "/v1/activities/"+st.ActivityID+"/picture.png", "")
	assert.Equal(t, "image/png", png.Header().Get("Content-Type"))
	assert.True(t, strings.HasPrefix(png.Body.String(), "\x89PNG"))

	assert.Equal(t, http.StatusNoContent, do("POST", "/v1/activities/"+st.ActivityID+"/approve", `{}`).Code)
	rec = do("POST", "/v1/activities/"+st.ActivityID+"/approve", `{}`)
	assert.Equal(t, http.StatusConflict, rec.Code, "approving twice")
	assert.Contains(t, rec.Body.String(), onboarding.CodeOutOfOrder)

	act, err := f.m.Activity(ctx, st.ActivityID)
	require.NoError(t, err)
	assert.Equal(t, "Approved by root.", act.Steps[len(act.Steps)-1].Message)

	rec = do("GET", "/v1/applications/"+f.app.ID+"/activities", "")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), st.ActivityID)
	assert.NotContains(t, rec.Body.String(), st.Nonce, "nonces are not shown to administrators")

	assert.Equal(t, http.StatusNoContent, do("DELETE", "/v1/activities/"+st.ActivityID, "").Code)
	assert.Equal(t, http.StatusNotFound, do("GET", "/v1/activities/"+st.ActivityID, "").Code)
	assert.Equal(t, http.StatusNotFound, do("DELETE", "/v1/devices/nope", "").Code)
}

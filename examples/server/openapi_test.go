package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOpenAPIDescribesEveryRoute: the served document lists every API
// route with its method and scope, and nothing the server does not serve.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	r := ts.get(ts.browser(), "/api/v1/openapi.json")
	require.Equal(t, http.StatusOK, r.StatusCode)
	var doc struct {
		OpenAPI string `json:"openapi"`
		Paths   map[string]map[string]struct {
			Security []map[string][]string `json:"security"`
		} `json:"paths"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.Body), &doc))
	assert.Equal(t, "3.1.0", doc.OpenAPI)

	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	for _, rt := range ts.app.apiRoutes() {
		key := rt.method + " " + rt.path
		op, ok := doc.Paths[rt.path][strings.ToLower(rt.method)]
		if assert.True(t, ok, "%s is not in openapi.json", key) {
			require.Len(t, op.Security, 1, key)
			assert.Equal(t, []string{rt.scope}, op.Security[0]["bearer"], key)
		}
		delete(documented, key)
	}
	for _, public := range []string{"GET /api/v1/openapi.json", "GET /healthz", "GET /readyz", "POST /api/v1/activation/activate", "POST /api/v1/activation/password",
		"POST /api/device/v1/onboardings", "POST /api/device/v1/onboardings/{id}/status", "POST /api/device/v1/onboardings/{id}/answers",
		"POST /api/device/v1/onboardings/{id}/certificate", "GET /api/device/ca.crt", "GET /api/device/ca.crl",
		"POST /api/device/v1/devices/{id}/pending", "POST /api/device/v1/requests/{id}/answer", "POST /api/device/v1/requests/{id}/claim",
		"POST /api/device/v1/pre-approvals", "GET /api/device/v1/pre-approvals/{id}"} {
		assert.True(t, documented[public], public)
		delete(documented, public)
	}
	assert.Empty(t, documented, "documented but not served")
}

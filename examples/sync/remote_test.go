package main

import (
	"context"
	"crypto"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/directory/syncapi"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
)

// serverKeys is the server side's key registry, one organization.
type serverKeys struct {
	mu       sync.Mutex
	org, pem string
}

func (k *serverKeys) RegisterKey(_ context.Context, org string, pemData []byte) (bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.org == "" {
		k.org, k.pem = org, strings.TrimSpace(string(pemData))
		return true, nil
	}
	if k.org != org || k.pem != strings.TrimSpace(string(pemData)) {
		return false, syncapi.ErrOtherKey
	}
	return false, nil
}

func (k *serverKeys) OrganizationKey(_ context.Context, org string) (crypto.PublicKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if org != k.org {
		return nil, syncapi.ErrUnknownOrganization
	}
	return directory.ParsePublicKey([]byte(k.pem))
}

// TestSyncToAServer: PureSync's real shape — the agent on one machine,
// the server on another. init uploads the key, sync pushes every user
// through the server's sync API (directory/syncapi, as the reference
// server mounts it, behind its token check), and the commands that read
// a local store say they cannot.
func TestSyncToAServer(t *testing.T) {
	t.Parallel()
	store := memstore.New()
	t.Cleanup(func() { _ = store.Close() })
	h, err := syncapi.NewHandler(&serverKeys{}, store)
	require.NoError(t, err)
	api := http.StripPrefix("/api/sync", h)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok-sync" {
			http.Error(w, `{"error":"unauthorized","message":"bad token"}`, http.StatusUnauthorized)
			return
		}
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	hs := newHarness(t, staff(40))
	cfg := filepath.Join(hs.dir, "remote.json")
	hs.ok("init", "--yes", "--config", cfg, "--org-id", testOrg, "--server", srv.URL, "--token", "tok-sync", "--upload-key",
		"--source", "csv", "--csv-path", hs.csv, "--store", "server", "--private-key", filepath.Join(hs.dir, "r.pem"), "--public-key", filepath.Join(hs.dir, "r.pub.pem"))
	r := hs.ok("sync", "--config", cfg)
	assert.Contains(t, r.stdout, "40")
	u, err := store.GetUserByUsername(t.Context(), "alice@example.test")
	require.NoError(t, err)
	assert.Equal(t, []string{"sales", "staff"}, u.Groups)

	r = hs.ok("sync", "--config", cfg)
	n := 0
	for _, err := range store.ListUsers(t.Context(), userstore.ListOptions{}) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 40, n, "a second sync changes nothing")

	r = hs.run("status", "--config", cfg)
	assert.NotEqual(t, exitOK, r.code)
	assert.Contains(t, r.stderr, `setting "store" is "server"`)
}

package syncapi_test

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/http/httptest"
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

// memKeys is a Keys in memory, one organization.
type memKeys struct {
	mu       sync.Mutex
	org, pem string
}

func (k *memKeys) RegisterKey(_ context.Context, org string, pemData []byte) (bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	p := strings.TrimSpace(string(pemData))
	switch {
	case k.org == "":
		k.org, k.pem = org, p
		return true, nil
	case k.org != org || k.pem != p:
		return false, syncapi.ErrOtherKey
	}
	return false, nil
}

func (k *memKeys) OrganizationKey(_ context.Context, org string) (crypto.PublicKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if org != k.org || k.org == "" {
		return nil, syncapi.ErrUnknownOrganization
	}
	return directory.ParsePublicKey([]byte(k.pem))
}

// source is a directory.Source of fixed entries.
type source struct{ entries []directory.Entry }

func (s *source) Name() string { return "ldap" }
func (s *source) Lookup(_ context.Context, login string) (directory.Entry, error) {
	for _, e := range s.entries {
		if e.Username == login {
			return e, nil
		}
	}
	return directory.Entry{}, directory.ErrNotFound
}
func (s *source) Users(context.Context) iter.Seq2[directory.Entry, error] {
	return func(yield func(directory.Entry, error) bool) {
		for _, e := range s.entries {
			if !yield(e, nil) {
				return
			}
		}
	}
}

type env struct {
	store  *memstore.Store
	srv    *httptest.Server
	client *syncapi.Client
	signer *directory.RecordSigner
	pubPEM []byte
}

func newEnv(t *testing.T) *env {
	t.Helper()
	store := memstore.New()
	t.Cleanup(func() { _ = store.Close() })
	h, err := syncapi.NewHandler(&memKeys{}, store)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/api/sync/", http.StripPrefix("/api/sync", h))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	signer, err := directory.NewRecordSigner(priv)
	require.NoError(t, err)
	der, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	return &env{store: store, srv: srv, signer: signer, pubPEM: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}),
		client: &syncapi.Client{BaseURL: srv.URL + "/api/sync", Token: "t", Organization: "acme"}}
}

func entries(n int) []directory.Entry {
	var out []directory.Entry
	for i := range n {
		out = append(out, directory.Entry{Source: "ldap", ExternalID: fmt.Sprintf("guid-%d", i), Username: fmt.Sprintf("user%d", i),
			FullName: fmt.Sprintf("User %d", i), CorporateEmail: fmt.Sprintf("user%d@example.test", i), Groups: []string{"staff"}, Enabled: true})
	}
	return out
}

// TestSyncThroughTheAPI: directory.Sync writes to a store behind the
// handler as to a local one, twice (the second finds nothing to do), and
// every stored signature verifies.
func TestSyncThroughTheAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	require.NoError(t, e.client.UploadKey(ctx, e.pubPEM))
	require.NoError(t, e.client.UploadKey(ctx, e.pubPEM), "the same key again")

	src := &source{entries: entries(2500)} // more than one batch
	p, res, err := directory.Sync(ctx, src, e.client, e.signer, directory.PlanOptions{}, directory.ApplyOptions{OrgID: "acme"})
	require.NoError(t, err)
	require.NoError(t, res.Err())
	assert.Equal(t, 2500, p.Count(directory.SyncAdd))

	p, res, err = directory.Sync(ctx, src, e.client, e.signer, directory.PlanOptions{}, directory.ApplyOptions{OrgID: "acme"})
	require.NoError(t, err)
	require.NoError(t, res.Err())
	assert.Equal(t, 2500, p.Count(directory.SyncUnchanged))

	v, err := directory.NewRecordVerifier(e.signer.Public())
	require.NoError(t, err)
	n := 0
	for r, err := range e.client.Synced(ctx, "ldap") {
		require.NoError(t, err)
		require.NoError(t, v.Verify(r.Record, r.Signature))
		n++
	}
	assert.Equal(t, 2500, n)
	u, err := e.store.GetUserByUsername(ctx, "user7")
	require.NoError(t, err)
	assert.Equal(t, []string{"staff"}, u.Groups)
}

// TestForgedRecordsAreRefusedAlone: a record that does not match its
// signature, or is signed with another key, is refused; the others in
// the batch are written.
func TestForgedRecordsAreRefusedAlone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	require.NoError(t, e.client.UploadKey(ctx, e.pubPEM))
	good := directory.RecordOf(entries(1)[0])
	sig, err := e.signer.Sign(good)
	require.NoError(t, err)
	forged := good
	forged.ExternalID, forged.Username, forged.CorporateEmail = "guid-x", "mallory", "mallory@example.test"
	_, otherPriv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	other, err := directory.NewRecordSigner(otherPriv)
	require.NoError(t, err)
	alien := directory.RecordOf(directory.Entry{Source: "ldap", ExternalID: "guid-y", Username: "eve", CorporateEmail: "eve@example.test", Enabled: true})
	alienSig, err := other.Sign(alien)
	require.NoError(t, err)

	errs := e.client.ApplySyncBatch(ctx, []directory.SignedChange{
		{Change: directory.SyncChange{Kind: directory.SyncAdd, Record: good}, Signature: sig},
		{Change: directory.SyncChange{Kind: directory.SyncAdd, Record: forged}, Signature: sig},
		{Change: directory.SyncChange{Kind: directory.SyncAdd, Record: alien}, Signature: alienSig},
	})
	require.Len(t, errs, 3)
	assert.NoError(t, errs[0])
	assert.ErrorIs(t, errs[1], directory.ErrBadSignature)
	assert.ErrorIs(t, errs[2], directory.ErrBadSignature)
	for _, name := range []string{"mallory", "eve"} {
		_, err := e.store.GetUserByUsername(ctx, name)
		assert.ErrorIs(t, err, userstore.ErrNotFound, name)
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()

	// No key yet: records and changes are refused.
	_, err := firstErr(e.client.Synced(ctx, "ldap"))
	var se *syncapi.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusForbidden, se.Status)

	require.NoError(t, e.client.UploadKey(ctx, e.pubPEM))
	other := newEnv(t)
	err = e.client.UploadKey(ctx, other.pubPEM)
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusConflict, se.Status)

	evil := *e.client
	evil.Organization = "evil"
	_, err = firstErr(evil.Synced(ctx, "ldap"))
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusForbidden, se.Status, "one organization per server")

	err = e.client.UploadKey(ctx, []byte("not a key"))
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusBadRequest, se.Status)

	// A server that is gone: every change gets the error.
	gone := *e.client
	gone.BaseURL = "http://127.0.0.1:1/api/sync"
	errs := gone.ApplySyncBatch(ctx, []directory.SignedChange{{}, {}})
	assert.Error(t, errs[0])
	assert.Error(t, errs[1])
	assert.False(t, errors.Is(errs[0], directory.ErrBadSignature))
}

func firstErr(seq iter.Seq2[directory.SyncedRecord, error]) (int, error) {
	n := 0
	for _, err := range seq {
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// TestLookupAndIncremental: the client looks records up by external ID,
// so an incremental step writes only what changed.
func TestLookupAndIncremental(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	require.NoError(t, e.client.UploadKey(ctx, e.pubPEM))
	src := &source{entries: entries(20)}
	_, res, err := directory.Sync(ctx, src, e.client, e.signer, directory.PlanOptions{}, directory.ApplyOptions{OrgID: "acme"})
	require.NoError(t, err)
	require.NoError(t, res.Err())

	found, err := e.client.SyncedRecords(ctx, "ldap", []string{"guid-3", "guid-7", "nobody"})
	require.NoError(t, err)
	assert.Len(t, found, 2)
	assert.Equal(t, "user3", found["guid-3"].Record.Username)
	_, ok, err := e.client.SyncedRecord(ctx, "ldap", "nobody")
	require.NoError(t, err)
	assert.False(t, ok)
}

package syncapi_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/directory/syncapi"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

// BenchmarkChanges is the server's side of a remote full sync: POST
// /changes with 1,000 new users signed as directory.Sync signs them,
// decoded, verified and written into a SQLite store; per user.
func BenchmarkChanges(b *testing.B) {
	ctx := b.Context()
	store, err := sqlstore.OpenSQLite(ctx, filepath.Join(b.TempDir(), "users.db"))
	require.NoError(b, err)
	b.Cleanup(func() { _ = store.Close() })
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(b, err)
	der, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(b, err)
	keys := &memKeys{}
	_, err = keys.RegisterKey(ctx, "acme", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	require.NoError(b, err)
	h, err := syncapi.NewHandler(keys, store)
	require.NoError(b, err)
	signer, err := directory.NewRecordSigner(priv)
	require.NoError(b, err)

	batch := 0
	body := func() []byte {
		type change struct {
			Kind      directory.SyncKind `json:"kind"`
			Record    directory.Record   `json:"record"`
			Before    directory.Record   `json:"before"`
			Signature string             `json:"signature"`
		}
		records := make([]directory.Record, syncapi.MaxBatch)
		for i := range records {
			k := fmt.Sprintf("%d-%d", batch, i)
			records[i] = directory.RecordOf(directory.Entry{Source: "ldap", ExternalID: "guid-" + k, Username: "user" + k,
				FullName: "User " + k, CorporateEmail: "user" + k + "@example.test", Enabled: true})
		}
		batch++
		sigs, err := signer.SignBatch(records)
		require.NoError(b, err)
		changes := make([]change, len(records))
		for i, r := range records {
			changes[i] = change{Kind: directory.SyncAdd, Record: r, Signature: sigs[i]}
		}
		out, err := json.Marshal(map[string]any{"changes": changes})
		require.NoError(b, err)
		return out
	}
	for b.Loop() {
		b.StopTimer()
		data := body()
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/changes", bytes.NewReader(data))
		req.Header.Set(syncapi.OrganizationHeader, "acme")
		rec := httptest.NewRecorder()
		b.StartTimer()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"error"`)) {
			b.Fatalf("POST /changes: %d %.300s", rec.Code, rec.Body.String())
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*syncapi.MaxBatch), "ns/user")
}

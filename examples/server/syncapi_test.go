package main

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/usher-sdk/usher/directory"
)

// wireChange is a change as the agent sends it (directory/syncapi's
// wire form).
type wireChange struct {
	Kind      directory.SyncKind `json:"kind"`
	Record    directory.Record   `json:"record"`
	Signature string             `json:"signature"`
}

// wireRecord is a record as the server streams it.
type wireRecord struct {
	Record    directory.Record `json:"record"`
	Signature string           `json:"signature"`
}

func orgKey(t *testing.T) (*directory.RecordSigner, string) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	s, err := directory.NewRecordSigner(priv)
	require.NoError(t, err)
	der, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	return s, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// TestSyncAPI: the agent's contract — register the key, push signed
// changes (a forged one is refused alone), read back what is held.
func TestSyncAPI(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tok := ts.token(scopeSync)
	signer, pubPEM := orgKey(t)
	_, otherPEM := orgKey(t)
	org := []string{"Usher-Organization", "acme", "Content-Type", "application/x-pem-file"}

	assert.Equal(t, http.StatusForbidden, ts.api(tok, "GET", "/api/sync/records?source=ldap", nil, org...).StatusCode, "no key yet")
	assert.Equal(t, http.StatusBadRequest, ts.api(tok, "POST", "/api/sync/keys", "not a key", org...).StatusCode)
	assert.Equal(t, http.StatusCreated, ts.api(tok, "POST", "/api/sync/keys", pubPEM, org...).StatusCode)
	assert.Equal(t, http.StatusOK, ts.api(tok, "POST", "/api/sync/keys", pubPEM, org...).StatusCode, "the same key again")
	r := ts.api(tok, "POST", "/api/sync/keys", otherPEM, org...)
	assert.Equal(t, http.StatusConflict, r.StatusCode)
	assert.Contains(t, r.Body, "another key")
	r = ts.api(tok, "POST", "/api/sync/keys", otherPEM, "Usher-Organization", "evil")
	assert.Equal(t, http.StatusConflict, r.StatusCode, "one organization per server")
	assert.Equal(t, http.StatusBadRequest, ts.api(tok, "POST", "/api/sync/keys", pubPEM).StatusCode, "no organization")

	rec := directory.RecordOf(directory.Entry{Source: "ldap", ExternalID: "guid-1", Username: "ada", FullName: "Ada Lovelace", CorporateEmail: "ada@example.test", Groups: []string{"staff"}, Enabled: true})
	sig, err := signer.Sign(rec)
	require.NoError(t, err)
	forged := rec
	forged.ExternalID, forged.Username, forged.CorporateEmail = "guid-2", "mallory", "mallory@example.test"
	changes := map[string]any{"changes": []wireChange{
		{Kind: directory.SyncAdd, Record: rec, Signature: sig},
		{Kind: directory.SyncAdd, Record: forged, Signature: sig},
	}}
	r = ts.api(tok, "POST", "/api/sync/changes", changes, "Usher-Organization", "acme")
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	var res struct {
		Results []struct {
			Error string `json:"error"`
		} `json:"results"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.Body), &res))
	require.Len(t, res.Results, 2)
	assert.Empty(t, res.Results[0].Error)
	assert.Equal(t, "bad_signature", res.Results[1].Error)

	u, err := ts.app.users.GetUserByUsername(t.Context(), "ada")
	require.NoError(t, err)
	assert.Equal(t, "ldap", u.Source)
	assert.Equal(t, []string{"staff"}, u.Groups)
	_, err = ts.app.users.GetUserByUsername(t.Context(), "mallory")
	assert.Error(t, err, "the forged record is not stored")

	// Applying the same change again has the effect of once.
	r = ts.api(tok, "POST", "/api/sync/changes", map[string]any{"changes": []wireChange{{Kind: directory.SyncAdd, Record: rec, Signature: sig}}}, "Usher-Organization", "acme")
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.JSONEq(t, `{"results":[{}]}`, r.Body)

	r = ts.api(tok, "GET", "/api/sync/records?source=ldap", nil, "Usher-Organization", "acme")
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.Equal(t, "application/x-ndjson", r.Header.Get("Content-Type"))
	sc := bufio.NewScanner(strings.NewReader(r.Body))
	var got []wireRecord
	for sc.Scan() {
		var wr wireRecord
		require.NoError(t, json.Unmarshal(sc.Bytes(), &wr))
		got = append(got, wr)
	}
	require.Len(t, got, 1)
	v, err := directory.NewRecordVerifier(signer.Public())
	require.NoError(t, err)
	assert.NoError(t, v.Verify(got[0].Record, got[0].Signature), "the stored signature verifies")

	// Another organization's token cannot read or write.
	assert.Equal(t, http.StatusForbidden, ts.api(tok, "GET", "/api/sync/records?source=ldap", nil, "Usher-Organization", "evil").StatusCode)
	assert.Equal(t, http.StatusForbidden, ts.api(ts.token(scopeUsersWrite), "GET", "/api/sync/records?source=ldap", nil, "Usher-Organization", "acme").StatusCode, "scope sync")
	assert.Equal(t, http.StatusBadRequest, ts.api(tok, "POST", "/api/sync/changes", `{"changes":[]}`, "Usher-Organization", "acme").StatusCode)
}

func TestSyncPage(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	c := ts.signIn()
	assert.Contains(t, ts.get(c, "/admin/sync").Body, "No organization is registered.")
	tok := ts.token(scopeSync)
	signer, pubPEM := orgKey(t)
	require.Equal(t, http.StatusCreated, ts.api(tok, "POST", "/api/sync/keys", pubPEM, "Usher-Organization", "acme").StatusCode)
	rec := directory.RecordOf(directory.Entry{Source: "ldap", ExternalID: "g1", Username: "ada", CorporateEmail: "ada@example.test", Enabled: true})
	sig, err := signer.Sign(rec)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, ts.api(tok, "POST", "/api/sync/changes", map[string]any{"changes": []wireChange{{Kind: directory.SyncAdd, Record: rec, Signature: sig}}}, "Usher-Organization", "acme").StatusCode)
	r := ts.get(c, "/admin/sync")
	assert.Contains(t, r.Body, "<code>acme</code>")
	assert.Regexp(t, `<td>1</td><td>0</td>`, r.Body, "one applied, none refused")
}

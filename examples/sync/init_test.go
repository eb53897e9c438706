package main

import (
	"context"
	"crypto"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
)

func readConfig(t *testing.T, path string) Config {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var c Config
	require.NoError(t, json.Unmarshal(data, &c))
	return c
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return fi.Mode().Perm()
}

func TestInitUnattended(t *testing.T) {
	t.Parallel()
	h := newHarness(t, staff(2))

	c := readConfig(t, h.config)
	assert.Equal(t, testOrg, c.OrgID)
	assert.Equal(t, "csv", c.Source.Type)
	require.NotNil(t, c.Source.CSV)
	assert.Equal(t, h.csv, c.Source.CSV.Path)
	assert.Equal(t, "sqlite:"+h.db, c.Store)
	assert.Equal(t, filepath.Join(h.dir, "org-key.pem"), c.PrivateKey)
	assert.Equal(t, os.FileMode(0o600), mode(t, h.config), "the configuration holds secrets")
	assert.Equal(t, os.FileMode(0o600), mode(t, c.PrivateKey))
	assert.Equal(t, os.FileMode(0o644), mode(t, c.PublicKey))
	_, err := directory.LoadPrivateKey(c.PrivateKey)
	require.NoError(t, err)

	privBefore, err := os.ReadFile(c.PrivateKey)
	require.NoError(t, err)
	configBefore, err := os.ReadFile(h.config)
	require.NoError(t, err)

	t.Run("an existing configuration is kept without --overwrite", func(t *testing.T) {
		r := h.run("init", "--yes", "--org-id", "other", "--source", "csv", "--csv-path", h.csv, "--store", "sqlite:"+h.db)
		assert.Equal(t, exitFailure, r.code)
		assert.Contains(t, r.stderr, "--overwrite")
		after, err := os.ReadFile(h.config)
		require.NoError(t, err)
		assert.Equal(t, configBefore, after)
	})
	t.Run("keys are never overwritten", func(t *testing.T) {
		r := h.ok("init", "--yes", "--overwrite", "--org-id", "other", "--generate-keys", "--source", "csv", "--csv-path", h.csv, "--store", "sqlite:"+h.db)
		assert.Contains(t, r.stdout, "keeping the existing organization key")
		after, err := os.ReadFile(c.PrivateKey)
		require.NoError(t, err)
		assert.Equal(t, privBefore, after)
		assert.Equal(t, "other", readConfig(t, h.config).OrgID)
		assert.Equal(t, os.FileMode(0o600), mode(t, h.config))
	})
	t.Run("a lone public key is not overwritten either", func(t *testing.T) {
		dir := t.TempDir()
		pub := filepath.Join(dir, "org-key.pub.pem")
		require.NoError(t, os.WriteFile(pub, []byte("mine"), 0o644))
		r := h.run("init", "--yes", "--config", filepath.Join(dir, "c.json"), "--org-id", "o", "--source", "csv", "--csv-path", h.csv, "--store", "sqlite:"+h.db)
		assert.Equal(t, exitFailure, r.code)
		assert.Contains(t, r.stderr, "--public-key")
		data, err := os.ReadFile(pub)
		require.NoError(t, err)
		assert.Equal(t, "mine", string(data))
	})
}

func TestInitRequiredAndBadAnswers(t *testing.T) {
	t.Parallel()
	h := newHarness(t, staff(1))
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no org", []string{"--source", "csv", "--csv-path", "x.csv"}, "missing --org-id"},
		{"no source", []string{"--org-id", "o"}, "missing --source"},
		{"bad source", []string{"--org-id", "o", "--source", "nis"}, `--source: "nis" is not one of csv, ldap, graph`},
		{"csv without path", []string{"--org-id", "o", "--source", "csv"}, "missing --csv-path"},
		{"bad store", []string{"--org-id", "o", "--source", "csv", "--csv-path", "x.csv", "--store", "mysql://db"}, "--store"},
		{"bad key algorithm", []string{"--org-id", "o", "--source", "csv", "--csv-path", "x.csv", "--key-alg", "rsa"}, `--key-alg "rsa"`},
		{"upload without server", []string{"--org-id", "o", "--upload-key", "--source", "csv", "--csv-path", "x.csv"}, "--upload-key needs --server"},
		{"ldap without base", []string{"--org-id", "o", "--source", "ldap", "--ldap-url", "ldap://127.0.0.1:1"}, "missing --ldap-base-dn"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"init", "--yes", "--config", filepath.Join(dir, "c.json")}, tc.args...)
			r := h.run(args...)
			assert.Equal(t, exitFailure, r.code, r.stdout)
			assert.Contains(t, r.stderr, tc.want)
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			assert.Empty(t, entries, "nothing written: no configuration, no key")
		})
	}
}

func TestInitInteractive(t *testing.T) {
	t.Parallel()
	h := newHarness(t, staff(1))
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "usher-sync.json")
	// One answer per question, in init's order: organization, server,
	// token, generate keys, source, CSV file, CSV format (a wrong answer
	// first), store (default), mail (none).
	script := strings.Join([]string{
		"acme-interactive",
		"",
		"",
		"y",
		"csv",
		h.csv,
		"excel",
		"puresync",
		"",
		"",
	}, "\n") + "\n"
	r := h.runIn(script, "init", "--config", cfgPath)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Organization ID: ")
	assert.Contains(t, r.stdout, "Generate the organization key pair [Y/n]: ")
	assert.Contains(t, r.stdout, "want one of auto, puresync, notakey")
	assert.Contains(t, r.stderr, "warning: back up", "the private key's warning")

	c := readConfig(t, cfgPath)
	assert.Equal(t, "acme-interactive", c.OrgID)
	assert.Equal(t, "puresync", c.Source.CSV.Format)
	assert.Equal(t, "sqlite:"+filepath.Join(dir, "usher.db"), c.Store, "the default store")
	assert.Equal(t, os.FileMode(0o600), mode(t, c.PrivateKey))

	t.Run("end of input names the flag", func(t *testing.T) {
		r := h.runIn("acme\n", "init", "--config", filepath.Join(t.TempDir(), "c.json"))
		assert.Equal(t, exitFailure, r.code)
		assert.Contains(t, r.stderr, "no answer on standard input (give --server")
	})
	t.Run("flags answer their questions", func(t *testing.T) {
		dir := t.TempDir()
		// Only the questions without a flag are asked: server, token,
		// generate keys, CSV format, store, mail.
		r := h.runIn("\n\nn\n\nsqlite:"+filepath.Join(dir, "x.db")+"\n\n", "init", "--config", filepath.Join(dir, "c.json"), "--org-id", "o", "--source", "csv", "--csv-path", h.csv)
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.NotContains(t, r.stdout, "Organization ID")
		assert.Contains(t, r.stdout, "no key generated")
		_, err := os.Stat(filepath.Join(dir, "org-key.pem"))
		assert.ErrorIs(t, err, os.ErrNotExist)
	})
}

func TestInitDryRun(t *testing.T) {
	t.Parallel()
	h := newHarness(t, staff(1))
	dir := t.TempDir()
	r := h.ok("init", "--yes", "--dry-run", "--config", filepath.Join(dir, "c.json"), "--org-id", "o", "--token", "s3cret-token",
		"--server", "http://127.0.0.1:1", "--upload-key", "--source", "csv", "--csv-path", h.csv, "--store", "sqlite:"+filepath.Join(dir, "x.db"))
	assert.Contains(t, r.stdout, "would generate the organization key pair")
	assert.Contains(t, r.stdout, "would upload the public key")
	assert.Contains(t, r.stdout, "nothing was written")
	assert.NotContains(t, r.stdout, "s3cret-token", "secrets are hidden")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "no file, no key")
}

// keyServer is a fake of the server's key upload endpoint.
type keyServer struct {
	mu       sync.Mutex
	status   int
	received [][]byte
	headers  []http.Header
}

func (k *keyServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if r.Method != http.MethodPost || r.URL.Path != "/api/sync/keys" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	body, _ := io.ReadAll(r.Body)
	k.received = append(k.received, body)
	k.headers = append(k.headers, r.Header.Clone())
	if k.status != 0 {
		http.Error(w, "refused", k.status)
		return
	}
	w.WriteHeader(http.StatusCreated)
}

func TestInitUploadsPublicKey(t *testing.T) {
	t.Parallel()
	h := newHarness(t, staff(1))
	ks := &keyServer{}
	srv := httptest.NewServer(ks)
	t.Cleanup(srv.Close)

	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "c.json")
	r := h.ok("init", "--yes", "--config", cfgPath, "--org-id", "acme", "--server", srv.URL+"/", "--token", "tok-123", "--upload-key",
		"--key-alg", "p256", "--source", "csv", "--csv-path", h.csv, "--store", "sqlite:"+filepath.Join(dir, "x.db"))
	assert.Contains(t, r.stdout, "uploaded the public key to "+srv.URL+"/api/sync/keys")

	require.Len(t, ks.received, 1)
	assert.Equal(t, "Bearer tok-123", ks.headers[0].Get("Authorization"))
	assert.Equal(t, "application/x-pem-file", ks.headers[0].Get("Content-Type"))
	assert.Equal(t, "acme", ks.headers[0].Get("Usher-Organization"))
	pub, err := directory.ParsePublicKey(ks.received[0])
	require.NoError(t, err)
	priv, err := directory.LoadPrivateKey(filepath.Join(dir, "org-key.pem"))
	require.NoError(t, err)
	assert.True(t, priv.(crypto.Signer).Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(pub), "the uploaded key is the public half")
	assert.Equal(t, "tok-123", readConfig(t, cfgPath).Token)

	t.Run("a refused token is reported and the keys are kept", func(t *testing.T) {
		ks.mu.Lock()
		ks.status = http.StatusUnauthorized
		ks.mu.Unlock()
		r := h.run("init", "--yes", "--overwrite", "--config", cfgPath, "--org-id", "acme", "--server", srv.URL, "--token", "bad", "--upload-key",
			"--source", "csv", "--csv-path", h.csv, "--store", "sqlite:"+filepath.Join(dir, "x.db"))
		assert.Equal(t, exitFailure, r.code)
		assert.Contains(t, r.stderr, "refused the access token")
		assert.NotContains(t, r.stderr, "bad\n")
		again, err := directory.LoadPrivateKey(filepath.Join(dir, "org-key.pem"))
		require.NoError(t, err)
		assert.True(t, priv.(interface{ Equal(crypto.PrivateKey) bool }).Equal(again))
	})
	t.Run("another key registered", func(t *testing.T) {
		ks.mu.Lock()
		ks.status = http.StatusConflict
		ks.mu.Unlock()
		err := newApp(strings.NewReader(""), io.Discard, io.Discard).uploadKey(context.Background(), srv.URL, "tok", "acme", ks.received[0])
		require.Error(t, err)
		assert.Contains(t, err.Error(), "another key registered")
	})
}

func TestInitInteractiveLDAP(t *testing.T) {
	t.Parallel()
	h := newHarness(t, staff(1))
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "c.json")
	script := strings.Join([]string{
		"acme", "", "", "n", // organization, server, token, no key
		"ldap", "ldap://127.0.0.1:1", "n", // source, URL, not AD
		"cn=sync,dc=example,dc=test", "pw", "ou=people,dc=example,dc=test", "", // bind DN and password, base, group
		"y",                               // StartTLS
		"y", "cn", "", "", "", "", "", "", // change the mapping: full name from cn, the rest default
		"postgres://usher@db.example/usher", // store
		"",                                  // no mail
	}, "\n") + "\n"
	r := h.runIn(script, "init", "--config", cfgPath)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Attribute of the full name [cn]: ")
	c := readConfig(t, cfgPath)
	require.NotNil(t, c.Source.LDAP)
	l := c.Source.LDAP
	assert.Equal(t, "ldap://127.0.0.1:1", l.URL)
	assert.Equal(t, "cn=sync,dc=example,dc=test", l.BindDN)
	assert.Equal(t, "pw", l.BindPassword)
	assert.Equal(t, "ou=people,dc=example,dc=test", l.BaseDN)
	assert.True(t, l.StartTLS)
	assert.Equal(t, "cn", l.Mapping.FullName)
	assert.Equal(t, "mail", l.Mapping.CorporateEmail, "plain LDAP: the corporate e-mail is mail")
	assert.Equal(t, "postgres://usher@db.example/usher", c.Store)
	assert.Equal(t, os.FileMode(0o600), mode(t, cfgPath), "the bind password is in it")
}

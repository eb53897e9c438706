package ldap_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory/ldap"
	"github.com/usher-sdk/usher/internal/testenv"
)

// tlsFront serves TLS with a certificate for 127.0.0.1 signed by a fresh
// CA, and forwards the plain bytes to the private slapd: an ldaps:// server.
// It returns its address and the CA's PEM file.
func tlsFront(t *testing.T) (string, string) {
	t.Helper()
	return tlsFrontFor(t, nil)
}

// tlsFrontFor is tlsFront with a certificate for dnsNames only (no IP
// address) when dnsNames is not empty.
func tlsFrontFor(t *testing.T, dnsNames []string) (string, string) {
	t.Helper()
	srv := testenv.LDAP(t)
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "usher test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ips := []net.IP{net.IPv4(127, 0, 0, 1)}
	if len(dnsNames) > 0 {
		ips = nil
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(2),
		Subject: pkix.Name{CommonName: "127.0.0.1"}, IPAddresses: ips, DNSNames: dnsNames,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, ca, &key.PublicKey, caKey)
	require.NoError(t, err)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600))

	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER}, PrivateKey: key}}, MinVersion: tls.VersionTLS12})
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	target := strings.TrimPrefix(srv.URL, "ldap://")
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				s, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer s.Close()
				go func() { _, _ = io.Copy(s, c); _ = s.Close() }()
				_, _ = io.Copy(c, s)
			}()
		}
	}()
	return ln.Addr().String(), caFile
}

func TestLDAPS(t *testing.T) {
	t.Parallel()
	addr, caFile := tlsFront(t)
	ctx := ctxT(t)

	s := newSource(t, ldap.Config{URL: "ldaps://" + addr, RootCAFile: caFile})
	_, ok, err := s.Authenticate(ctx, "alice", "alice-password")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Len(t, usernames(t, s.Users(ctx)), 7, "the streaming connection speaks TLS too")

	untrusted := newSource(t, ldap.Config{URL: "ldaps://" + addr})
	_, err = untrusted.Lookup(ctx, "alice")
	require.Error(t, err, "a certificate from an unknown CA is refused")
	for _, err := range untrusted.Users(ctx) {
		require.Error(t, err)
	}

	insecure := newSource(t, ldap.Config{URL: "ldaps://" + addr, InsecureSkipVerify: true})
	_, err = insecure.Lookup(ctx, "alice")
	require.NoError(t, err)
}

// A server whose certificate names it otherwise than the URL does (a DC
// reached as 127.0.0.1) is checked against Config.TLSServerName.
func TestLDAPSServerName(t *testing.T) {
	t.Parallel()
	addr, caFile := tlsFrontFor(t, []string{"dc1.usher.test"})
	ctx := ctxT(t)

	byIP := newSource(t, ldap.Config{URL: "ldaps://" + addr, RootCAFile: caFile})
	_, err := byIP.Lookup(ctx, "alice")
	require.Error(t, err, "the certificate does not hold 127.0.0.1")
	assert.Contains(t, err.Error(), "127.0.0.1")

	named := newSource(t, ldap.Config{URL: "ldaps://" + addr, RootCAFile: caFile, TLSServerName: "dc1.usher.test"})
	e, err := named.Lookup(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, "alice", e.Username)
	assert.Len(t, usernames(t, named.Users(ctx)), 7, "the streaming connection uses the name too")

	wrong := newSource(t, ldap.Config{URL: "ldaps://" + addr, RootCAFile: caFile, TLSServerName: "dc2.usher.test"})
	_, err = wrong.Lookup(ctx, "alice")
	require.Error(t, err)
}

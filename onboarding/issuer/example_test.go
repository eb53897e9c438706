package issuer_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/usher-sdk/usher/onboarding/issuer"
)

// A device builds a CSR with the server's nonce; the server checks it and
// refuses it for any other nonce.
func ExampleVerifyCSR() {
	deviceKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	der, err := issuer.NewCSR(rand.Reader, deviceKey, pkix.Name{CommonName: "my phone"}, "nonce-from-server")
	if err != nil {
		log.Fatal(err)
	}

	csr, err := issuer.VerifyCSR(der, "nonce-from-server")
	fmt.Println(err, csr.PublicKey.(*ecdsa.PublicKey).Equal(&deviceKey.PublicKey))

	_, err = issuer.VerifyCSR(der, "another-nonce")
	fmt.Println(errors.Is(err, issuer.ErrNonceMismatch))
	// Output:
	// <nil> true
	// true
}

// The local CA makes itself on first use, issues a client certificate for
// the device's key, revokes it and lists it in its CRL.
func ExampleLocalCA() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "usher-ca-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	ca, err := issuer.NewLocalCA(issuer.LocalCAConfig{Dir: dir})
	if err != nil {
		log.Fatal(err)
	}

	deviceKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	der, err := issuer.NewCSR(rand.Reader, deviceKey, pkix.Name{}, "nonce-from-server")
	if err != nil {
		log.Fatal(err)
	}
	csr, err := issuer.VerifyCSR(der, "nonce-from-server")
	if err != nil {
		log.Fatal(err)
	}
	cert, err := ca.Issue(ctx, csr, issuer.Subject{UserID: "u-42", Application: "vpn", DeviceID: "d-1"})
	if err != nil {
		log.Fatal(err)
	}

	root, err := ca.Certificate(ctx)
	if err != nil {
		log.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(root)
	_, err = cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	fmt.Println("verifies:", err == nil)
	subject, err := issuer.SubjectOf(cert)
	fmt.Println(subject.UserID, subject.Application, subject.DeviceID, cert.URIs[0], err)

	if err := ca.Revoke(ctx, cert.SerialNumber); err != nil {
		log.Fatal(err)
	}
	crlDER, err := ca.CRL(ctx)
	if err != nil {
		log.Fatal(err)
	}
	crl, err := x509.ParseRevocationList(crlDER)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("revoked:", crl.RevokedCertificateEntries[0].SerialNumber.Cmp(cert.SerialNumber) == 0)
	// Output:
	// verifies: true
	// u-42 vpn d-1 usher://device/vpn/u-42/d-1 <nil>
	// revoked: true
}

// SubjectOf reads back names that hold slashes and spaces.
func ExampleSubjectOf() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "usher-ca-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ca, err := issuer.NewLocalCA(issuer.LocalCAConfig{Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	cert, err := ca.Issue(ctx, &x509.CertificateRequest{PublicKey: &key.PublicKey},
		issuer.Subject{UserID: "CN=Ann Lee/Sales", Application: "mail", DeviceID: "ann's phone"})
	if err != nil {
		log.Fatal(err)
	}
	s, err := issuer.SubjectOf(cert)
	fmt.Printf("%q %v\n%s\n", s.UserID, err, cert.URIs[0])
	// Output:
	// "CN=Ann Lee/Sales" <nil>
	// usher://device/mail/CN=Ann%20Lee%2FSales/ann%27s%20phone
}

// A SCEP issuer forwards verified device CSRs to a third-party CA. (Not run:
// it needs a CA.)
func ExampleNewSCEP() {
	s, err := issuer.NewSCEP(issuer.SCEPConfig{URL: "https://ca.example.com/scep"},
		issuer.WithHTTPClient(&http.Client{Timeout: 30 * time.Second}))
	if err != nil {
		log.Fatal(err)
	}
	var _ issuer.Issuer = s
}

// When a device is destroyed, its certificate is revoked if the issuer can.
func ExampleRevoker() {
	dir, err := os.MkdirTemp("", "usher-ca-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	local, err := issuer.NewLocalCA(issuer.LocalCAConfig{Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	scep, err := issuer.NewSCEP(issuer.SCEPConfig{URL: "https://ca.example.com/scep"})
	if err != nil {
		log.Fatal(err)
	}
	for _, iss := range []issuer.Issuer{local, scep} {
		_, ok := iss.(issuer.Revoker)
		fmt.Printf("%T revokes: %v\n", iss, ok)
	}
	// Output:
	// *issuer.LocalCA revokes: true
	// *issuer.SCEP revokes: false
}

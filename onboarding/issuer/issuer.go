package issuer

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Issuer issues a device's client certificate. [LocalCA] and [SCEP] are the
// built-in implementations. An Issuer that can also revoke implements
// [Revoker]; callers find that out with a type assertion.
//
// Implementations must be safe for concurrent use.
type Issuer interface {
	// Issue returns a certificate for csr's public key with subject. The
	// caller has checked csr with [VerifyCSR]. [LocalCA] uses only the
	// CSR's public key, never its subject or extensions; an issuer for a
	// third-party CA may forward the CSR as it is (csr.Raw), and must then
	// check that the certificate it gets back is for csr's key.
	Issue(ctx context.Context, csr *x509.CertificateRequest, subject Subject) (*x509.Certificate, error)
}

// Revoker is the capability of an [Issuer] that revokes what it issued,
// used when a device or a user is destroyed. [LocalCA] is one; [SCEP] is
// not, as SCEP has no revocation message.
//
// Implementations must be safe for concurrent use.
type Revoker interface {
	// Revoke records that the certificate with this serial number is
	// revoked. Revoking a serial twice is not an error.
	Revoke(ctx context.Context, serial *big.Int) error
}

// Challenger is the capability of an [Issuer] whose CA wants a static
// challenge password in every CSR (a SCEP CA run with -challenge). A
// device then puts CSRChallenge in the CSR's challengePassword and its
// onboarding nonce in the randomNonce attribute ([NewCSRChallenge]), and
// the CSR is checked with [VerifyCSRChallenge]. The onboarding Manager
// tells the device the challenge only once every requirement is met, but
// from then on the device knows it: prefer a CA that needs no static
// challenge, or limits issuance by its own policy.
type Challenger interface {
	// CSRChallenge returns the challenge, or "" for none.
	CSRChallenge() string
}

// MaxSubjectField is the longest UserID, Application or DeviceID, in bytes,
// that a [Subject] may have: 256.
const MaxSubjectField = 256

// ErrInvalidSubject: a [Subject] field is empty, longer than
// [MaxSubjectField], not UTF-8 or holds control characters.
var ErrInvalidSubject = errors.New("issuer: invalid subject")

// Subject names whom a device certificate is for. [LocalCA] writes it into
// the certificate twice:
//
//   - in the subject name: CN = DeviceID, OU = Application and UID
//     (OID 0.9.2342.19200300.100.1.1) = UserID, for people and tools that
//     read names;
//   - as the one URI SAN usher://device/<Application>/<UserID>/<DeviceID>,
//     each part path-escaped, which [SubjectOf] reads back without
//     ambiguity. Programs should rely on this one.
type Subject struct {
	UserID      string // the user's ID in Usher, not their login name
	Application string // the application the device was onboarded for
	DeviceID    string // the device's ID
}

// Validate reports whether every field is 1 to [MaxSubjectField] bytes of
// UTF-8 without control characters; the error wraps [ErrInvalidSubject] and
// names the field.
func (s Subject) Validate() error {
	var errs []error
	for _, f := range []struct{ name, v string }{{"UserID", s.UserID}, {"Application", s.Application}, {"DeviceID", s.DeviceID}} {
		switch {
		case f.v == "":
			errs = append(errs, fmt.Errorf("%w: %s is empty", ErrInvalidSubject, f.name))
		case len(f.v) > MaxSubjectField:
			errs = append(errs, fmt.Errorf("%w: %s is longer than %d bytes", ErrInvalidSubject, f.name, MaxSubjectField))
		case !utf8.ValidString(f.v) || strings.ContainsFunc(f.v, func(r rune) bool { return r < 0x20 || r == 0x7f }):
			errs = append(errs, fmt.Errorf("%w: %s is not printable UTF-8", ErrInvalidSubject, f.name))
		}
	}
	return errors.Join(errs...)
}

// uri returns the subject's URI SAN.
func (s Subject) uri() *url.URL {
	u := &url.URL{
		Scheme: "usher",
		Host:   "device",
		Path:   "/" + s.Application + "/" + s.UserID + "/" + s.DeviceID,
	}
	u.RawPath = "/" + url.PathEscape(s.Application) + "/" + url.PathEscape(s.UserID) + "/" + url.PathEscape(s.DeviceID)
	return u
}

// SubjectOf reads the [Subject] from the URI SAN of a certificate that
// [LocalCA] issued. It does not verify the certificate: do that first, with
// [x509.Certificate.Verify] and the CA as the only root.
func SubjectOf(cert *x509.Certificate) (Subject, error) {
	var found *url.URL
	for _, u := range cert.URIs {
		if u.Scheme == "usher" && u.Host == "device" {
			if found != nil {
				return Subject{}, fmt.Errorf("%w: more than one usher://device URI", ErrInvalidSubject)
			}
			found = u
		}
	}
	if found == nil {
		return Subject{}, fmt.Errorf("%w: no usher://device URI", ErrInvalidSubject)
	}
	parts := strings.Split(strings.TrimPrefix(found.EscapedPath(), "/"), "/")
	if len(parts) != 3 {
		return Subject{}, fmt.Errorf("%w: URI path has %d parts, want 3", ErrInvalidSubject, len(parts))
	}
	var dec [3]string
	for i, p := range parts {
		v, err := url.PathUnescape(p)
		if err != nil {
			return Subject{}, fmt.Errorf("%w: %v", ErrInvalidSubject, err)
		}
		dec[i] = v
	}
	s := Subject{Application: dec[0], UserID: dec[1], DeviceID: dec[2]}
	if err := s.Validate(); err != nil {
		return Subject{}, err
	}
	return s, nil
}

package issuer

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of [LocalCAConfig].
const (
	DefaultValidity    = 365 * 24 * time.Hour
	DefaultCAValidity  = 10 * 365 * 24 * time.Hour
	DefaultCRLValidity = 24 * time.Hour
	DefaultCAName      = "Usher device CA"
)

// File names of [LocalCA] inside [LocalCAConfig.Dir].
const (
	CAKeyFile  = "ca.key" // PKCS #8 PEM, mode 0600
	CACertFile = "ca.crt" // PEM, mode 0644
)

// clockSkew is how far before the issuing time certificates become valid,
// so that a device whose clock is slightly behind accepts them.
const clockSkew = 5 * time.Minute

var oidUID = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}

// LocalCAConfig configures a [LocalCA]. Only Dir is required.
type LocalCAConfig struct {
	// Dir holds the CA's key (CAKeyFile) and certificate (CACertFile). It
	// is created with mode 0700 if missing. Required.
	Dir string `json:"dir"`
	// Subject is the CA's name when it is made. Default: CN=DefaultCAName.
	// It has no effect on a CA that already exists.
	Subject pkix.Name `json:"-"`
	// Validity is how long issued certificates are valid, capped at the
	// CA's own expiry. Default: DefaultValidity (365 days).
	Validity time.Duration `json:"validity"`
	// CAValidity is how long the CA certificate is valid when it is made.
	// Default: DefaultCAValidity (10 years).
	CAValidity time.Duration `json:"ca_validity"`
	// CRLValidity is the span from a CRL's ThisUpdate to its NextUpdate.
	// Default: DefaultCRLValidity (24 hours).
	CRLValidity time.Duration `json:"crl_validity"`
}

// Option sets a dependency of a [LocalCA].
type Option func(*LocalCA)

// WithClock sets the CA's clock. Default: time.Now.
func WithClock(now func() time.Time) Option { return func(ca *LocalCA) { ca.now = now } }

// WithLogger sets where the CA logs making its key and certificate.
// Default: discard.
func WithLogger(l *slog.Logger) Option { return func(ca *LocalCA) { ca.log = l } }

// WithRevocationStore sets where revocations are recorded. Default: a new
// [MemoryRevocations], which forgets them when the process ends; servers
// pass the onboarding store's SQL implementation.
func WithRevocationStore(s RevocationStore) Option { return func(ca *LocalCA) { ca.revs = s } }

// LocalCA is the built-in [Issuer] and [Revoker]: a certificate authority whose ECDSA
// P-256 key and self-signed certificate are PEM files in a directory.
//
// On first use (the first Issue, Revoke, CRL or Certificate) it loads them,
// or makes them if the directory has neither. It never overwrites an
// existing file: several LocalCAs, in one process or many, that start on
// the same empty directory at once end up with one CA. It refuses a key
// file that others can access ([ErrInsecureKeyFile]) and a certificate that
// does not match the key. A key and certificate placed in the directory
// beforehand (PKCS #8 ECDSA, Ed25519 or RSA) are used as they are.
//
// Issued certificates have a random 128-bit serial number, the [Subject] as
// described there, KeyUsage digitalSignature and ExtKeyUsage clientAuth;
// they are valid from five minutes before issuance for
// [LocalCAConfig.Validity].
//
// A LocalCA is safe for concurrent use.
type LocalCA struct {
	cfg  LocalCAConfig
	now  func() time.Time
	log  *slog.Logger
	revs RevocationStore

	mu    sync.Mutex // serialises loading
	state atomic.Pointer[caState]

	crlMu   sync.Mutex
	lastCRL int64
}

// caState is the loaded CA; it never changes once loaded.
type caState struct {
	key  crypto.Signer
	cert *x509.Certificate
}

// NewLocalCA checks cfg, applies its defaults and returns a LocalCA. It
// does not touch the directory; that happens on first use.
func NewLocalCA(cfg LocalCAConfig, opts ...Option) (*LocalCA, error) {
	var errs []error
	if cfg.Dir == "" {
		errs = append(errs, errors.New("issuer: missing required field \"Dir\""))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"Validity", cfg.Validity}, {"CAValidity", cfg.CAValidity}, {"CRLValidity", cfg.CRLValidity}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("issuer: %s is negative", d.name))
		}
	}
	if cfg.Validity == 0 {
		cfg.Validity = DefaultValidity
	}
	if cfg.CAValidity == 0 {
		cfg.CAValidity = DefaultCAValidity
	}
	if cfg.CRLValidity == 0 {
		cfg.CRLValidity = DefaultCRLValidity
	}
	if cfg.Subject.String() == "" {
		cfg.Subject = pkix.Name{CommonName: DefaultCAName}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	ca := &LocalCA{cfg: cfg, now: time.Now, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(ca)
	}
	if ca.revs == nil {
		ca.revs = new(MemoryRevocations)
	}
	return ca, nil
}

// Certificate returns the CA's certificate, which devices and relying
// parties use as the root to verify issued certificates.
func (ca *LocalCA) Certificate(ctx context.Context) (*x509.Certificate, error) {
	st, err := ca.load(ctx)
	if err != nil {
		return nil, err
	}
	return st.cert, nil
}

// load returns the CA, loading or making it on first use. A failure is not
// remembered: the next call tries again.
func (ca *LocalCA) load(ctx context.Context) (*caState, error) {
	if st := ca.state.Load(); st != nil {
		return st, nil
	}
	ca.mu.Lock()
	defer ca.mu.Unlock()
	if st := ca.state.Load(); st != nil {
		return st, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	st, err := ca.loadOrCreate()
	if err != nil {
		return nil, err
	}
	ca.state.Store(st)
	return st, nil
}

func (ca *LocalCA) loadOrCreate() (*caState, error) {
	if err := os.MkdirAll(ca.cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("issuer: CA directory: %w", err)
	}
	keyPath := filepath.Join(ca.cfg.Dir, CAKeyFile)
	certPath := filepath.Join(ca.cfg.Dir, CACertFile)

	key, err := loadKey(keyPath)
	if isNotExist(err) {
		if _, serr := os.Stat(certPath); serr != nil {
			key, err = ca.createKey(keyPath)
		} else if key, err = loadKey(keyPath); isNotExist(err) {
			// Not another process that made both between our two looks:
			// the key is really gone.
			return nil, fmt.Errorf("issuer: %s exists without its key %s; refusing to make a new key", certPath, keyPath)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("issuer: CA key: %w", err)
	}

	cert, err := loadCert(certPath, key)
	if isNotExist(err) {
		cert, err = ca.createCert(certPath, key)
	}
	if err != nil {
		return nil, fmt.Errorf("issuer: CA certificate: %w", err)
	}
	return &caState{key: key, cert: cert}, nil
}

// createKey makes the CA key, or loads the one another process made first.
func (ca *LocalCA) createKey(path string) (crypto.Signer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	err = writeExclusive(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	if errors.Is(err, fs.ErrExist) {
		return loadKey(path)
	}
	if err != nil {
		return nil, err
	}
	ca.log.Info("issuer: made CA key", slog.String("path", path))
	return key, nil
}

// createCert makes the self-signed CA certificate, or loads the one another
// process made first.
func (ca *LocalCA) createCert(path string, key crypto.Signer) (*x509.Certificate, error) {
	now := ca.now()
	tmpl := &x509.Certificate{
		SerialNumber:          newSerial(),
		Subject:               ca.cfg.Subject,
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              now.Add(ca.cfg.CAValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	err = writeExclusive(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	if errors.Is(err, fs.ErrExist) {
		return loadCert(path, key)
	}
	if err != nil {
		return nil, err
	}
	ca.log.Info("issuer: made CA certificate", slog.String("path", path), slog.String("subject", ca.cfg.Subject.String()))
	return x509.ParseCertificate(der)
}

// newSerial returns a random positive 128-bit serial number.
func newSerial() *big.Int {
	var b [16]byte
	for {
		_, _ = rand.Read(b[:]) // never fails
		if n := new(big.Int).SetBytes(b[:]); n.Sign() > 0 {
			return n
		}
	}
}

// Issue issues a certificate for csr's public key, which must be ECDSA
// P-256 or Ed25519 ([ErrUnsupportedKey]), naming subject, which must be
// valid ([ErrInvalidSubject]). It uses nothing else from csr: check csr
// with [VerifyCSR] first.
func (ca *LocalCA) Issue(ctx context.Context, csr *x509.CertificateRequest, subject Subject) (*x509.Certificate, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if csr == nil {
		return nil, fmt.Errorf("%w: nil CSR", ErrMalformedCSR)
	}
	if err := checkKey(csr.PublicKey); err != nil {
		return nil, err
	}
	if err := subject.Validate(); err != nil {
		return nil, err
	}
	st, err := ca.load(ctx)
	if err != nil {
		return nil, err
	}
	now := ca.now()
	if !now.Before(st.cert.NotAfter) {
		return nil, fmt.Errorf("issuer: CA certificate expired at %s", st.cert.NotAfter.UTC().Format(time.RFC3339))
	}
	notAfter := now.Add(ca.cfg.Validity)
	if notAfter.After(st.cert.NotAfter) {
		notAfter = st.cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber: newSerial(),
		Subject: pkix.Name{
			CommonName:         subject.DeviceID,
			OrganizationalUnit: []string{subject.Application},
			ExtraNames:         []pkix.AttributeTypeAndValue{{Type: oidUID, Value: subject.UserID}},
		},
		URIs:                  []*url.URL{subject.uri()},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, st.cert, csr.PublicKey, st.key)
	if err != nil {
		return nil, fmt.Errorf("issuer: issuing: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("issuer: issuing: %w", err)
	}
	return cert, nil
}

// Revoke records serial as revoked now in the [RevocationStore]; the next
// [LocalCA.CRL] lists it. Revoking a serial again keeps the first time.
// LocalCA keeps no list of what it issued, so it cannot refuse a serial it
// never issued; the caller revokes the serials it recorded for a device.
func (ca *LocalCA) Revoke(ctx context.Context, serial *big.Int) error {
	if serial == nil || serial.Sign() <= 0 || serial.BitLen() > 160 {
		return errors.New("issuer: serial must be positive and at most 20 bytes")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := ca.revs.AddRevocation(ctx, Revocation{Serial: new(big.Int).Set(serial), RevokedAt: ca.now().UTC()}); err != nil {
		return fmt.Errorf("issuer: recording revocation: %w", err)
	}
	return nil
}

// CRL returns a DER certificate revocation list, signed by the CA, of every
// serial in the [RevocationStore], valid from now for
// [LocalCAConfig.CRLValidity]. Its CRL number is the time of issue in
// microseconds since 1970, raised past the previous one of this LocalCA if
// need be, so that numbers increase across calls, restarts and server
// processes as long as clocks move forward. Encode it with pem type
// "X509 CRL" where PEM is wanted.
func (ca *LocalCA) CRL(ctx context.Context) ([]byte, error) {
	st, err := ca.load(ctx)
	if err != nil {
		return nil, err
	}
	revs, err := ca.revs.Revocations(ctx)
	if err != nil {
		return nil, fmt.Errorf("issuer: reading revocations: %w", err)
	}
	entries := make([]x509.RevocationListEntry, len(revs))
	for i, r := range revs {
		entries[i] = x509.RevocationListEntry{SerialNumber: r.Serial, RevocationTime: r.RevokedAt}
	}
	now := ca.now()
	ca.crlMu.Lock()
	n := now.UnixMicro()
	if n <= ca.lastCRL {
		n = ca.lastCRL + 1
	}
	ca.lastCRL = n
	ca.crlMu.Unlock()
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number:                    big.NewInt(n),
		ThisUpdate:                now,
		NextUpdate:                now.Add(ca.cfg.CRLValidity),
		RevokedCertificateEntries: entries,
	}, st.cert, st.key)
	if err != nil {
		return nil, fmt.Errorf("issuer: CRL: %w", err)
	}
	return der, nil
}

var (
	_ Issuer  = (*LocalCA)(nil)
	_ Revoker = (*LocalCA)(nil)
)

package issuer

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/smallstep/scep"
)

// maxSCEPResponse bounds what SCEP reads from its CA: 1 MiB.
const maxSCEPResponse = 1 << 20

// Errors of the SCEP issuer.
var (
	// ErrSCEPRefused: the SCEP CA answered FAILURE; the message names its
	// failInfo.
	ErrSCEPRefused = errors.New("issuer: SCEP CA refused the request")
	// ErrSCEPPending: the SCEP CA answered PENDING (manual approval), which
	// SCEP does not wait for.
	ErrSCEPPending = errors.New("issuer: SCEP request pending at the CA")
)

// SCEPConfig configures a [SCEP] issuer.
type SCEPConfig struct {
	// URL is the CA's SCEP endpoint, e.g. "https://ca.example.com/scep".
	// Required.
	URL string `json:"url"`
	// Challenge is the CA's static challenge password, if it wants one
	// (scepserver -challenge); SCEP is then a [Challenger]. A secret:
	// read it from a file, never log it.
	Challenge string `json:"-"`
}

// SCEPOption sets a dependency of a [SCEP] issuer.
type SCEPOption func(*SCEP)

// WithHTTPClient sets the client that talks to the CA. Default:
// http.DefaultClient; give one with a timeout in production.
func WithHTTPClient(c *http.Client) SCEPOption { return func(s *SCEP) { s.client = c } }

// SCEP is an [Issuer] that has a third-party CA issue device certificates
// over SCEP (RFC 8894), using github.com/smallstep/scep for the messages.
//
// Issue forwards the device's CSR unchanged (its signature is the device's,
// so it cannot be altered) in a PKCSReq message signed by a requester key
// (RSA 2048 with a self-signed certificate, made in memory on first use;
// the CA encrypts its answer to it). Consequences:
//
//   - The CA sees the CSR's challengePassword. Without
//     SCEPConfig.Challenge it is the onboarding nonce, which the CA must
//     accept (a dynamic-challenge check that asks Usher, or none). With
//     it, SCEP is a [Challenger]: devices put the CA's static challenge in
//     the challengePassword and the nonce in a randomNonce attribute, and
//     learn the challenge when their onboarding reaches the CSR (see
//     Challenger for what that costs).
//   - The certificate's subject is whatever the CA makes of the CSR; SCEP
//     has no field for subject, which Issue only validates. Issue checks
//     that the certificate is for the CSR's key; bind the device to the
//     certificate returned rather than to [SubjectOf].
//   - Only ECDSA P-256 device keys: github.com/smallstep/scep cannot make a
//     request for an Ed25519 key.
//   - It is no [Revoker]: SCEP has no revocation message, so revoke at the
//     CA.
//
// The CA's certificates are fetched (GetCACert) on first use. A SCEP is
// safe for concurrent use.
type SCEP struct {
	url       string
	challenge string
	client    *http.Client

	mu    sync.Mutex
	ready *scepState
}

type scepState struct {
	caCerts []*x509.Certificate
	key     *rsa.PrivateKey
	cert    *x509.Certificate
}

// NewSCEP checks cfg and returns a SCEP issuer; it does not contact the CA.
func NewSCEP(cfg SCEPConfig, opts ...SCEPOption) (*SCEP, error) {
	if cfg.URL == "" {
		return nil, errors.New("issuer: missing required field \"URL\"")
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("issuer: URL %q is not an http(s) URL without query", cfg.URL)
	}
	if len(cfg.Challenge) > MaxNonceSize {
		return nil, fmt.Errorf("issuer: Challenge: at most %d bytes", MaxNonceSize)
	}
	s := &SCEP{url: cfg.URL, challenge: cfg.Challenge, client: http.DefaultClient}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// CSRChallenge returns SCEPConfig.Challenge: SCEP is a [Challenger].
func (s *SCEP) CSRChallenge() string { return s.challenge }

// CACertificates returns the certificates the CA sent in answer to
// GetCACert (the CA's, and an RA's if it has one), fetched on first use.
func (s *SCEP) CACertificates(ctx context.Context) ([]*x509.Certificate, error) {
	st, err := s.state(ctx)
	if err != nil {
		return nil, err
	}
	return append([]*x509.Certificate(nil), st.caCerts...), nil
}

// state fetches the CA certificates and makes the requester key on first
// use and again when the requester certificate nears its expiry; a failure
// is not remembered.
func (s *SCEP) state(ctx context.Context) (*scepState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// The requester certificate is remade, and the CA certificates fetched
	// again, a day before it expires.
	if s.ready != nil && time.Now().Before(s.ready.cert.NotAfter.Add(-24*time.Hour)) {
		return s.ready, nil
	}
	body, _, err := s.do(ctx, http.MethodGet, "GetCACert", nil)
	if err != nil {
		return nil, err
	}
	var caCerts []*x509.Certificate
	if c, err := x509.ParseCertificate(body); err == nil {
		caCerts = []*x509.Certificate{c}
	} else if caCerts, err = scep.CACerts(body); err != nil || len(caCerts) == 0 {
		return nil, fmt.Errorf("issuer: SCEP GetCACert: no certificate in the answer")
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("issuer: SCEP requester key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: newSerial(),
		Subject:      pkix.Name{CommonName: "Usher SCEP requester"},
		NotBefore:    now.Add(-clockSkew),
		NotAfter:     now.Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("issuer: SCEP requester certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("issuer: SCEP requester certificate: %w", err)
	}
	s.ready = &scepState{caCerts: caCerts, key: key, cert: cert}
	return s.ready, nil
}

// do sends one SCEP operation and returns the answer's body, at most
// maxSCEPResponse bytes.
func (s *SCEP) do(ctx context.Context, method, op string, body []byte) ([]byte, string, error) {
	u := s.url + "?operation=" + url.QueryEscape(op)
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, "", fmt.Errorf("issuer: SCEP %s: %w", op, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-pki-message")
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("issuer: SCEP %s: %w", op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxSCEPResponse+1))
	if err != nil {
		return nil, "", fmt.Errorf("issuer: SCEP %s: %w", op, err)
	}
	if len(data) > maxSCEPResponse {
		return nil, "", fmt.Errorf("issuer: SCEP %s: answer over %d bytes", op, maxSCEPResponse)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("issuer: SCEP %s: HTTP %s", op, resp.Status)
	}
	return data, resp.Header.Get("Content-Type"), nil
}

// Issue forwards csr to the CA and returns the certificate it issues. The
// CSR's key must be ECDSA P-256 ([ErrUnsupportedKey]: the SCEP library
// cannot send requests for Ed25519 keys) and subject valid
// ([ErrInvalidSubject]); see [SCEP] for what the CA decides.
func (s *SCEP) Issue(ctx context.Context, csr *x509.CertificateRequest, subject Subject) (*x509.Certificate, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if csr == nil || len(csr.Raw) == 0 {
		return nil, fmt.Errorf("%w: nil or unparsed CSR", ErrMalformedCSR)
	}
	if err := checkKey(csr.PublicKey); err != nil {
		return nil, err
	}
	if _, ok := csr.PublicKey.(*ecdsa.PublicKey); !ok {
		// github.com/smallstep/scep derives the transaction ID from the
		// key and knows only ECDSA and RSA keys.
		return nil, fmt.Errorf("%w: SCEP issues for ECDSA P-256 keys only", ErrUnsupportedKey)
	}
	if err := subject.Validate(); err != nil {
		return nil, err
	}
	st, err := s.state(ctx)
	if err != nil {
		return nil, err
	}
	msg, err := scep.NewCSRRequest(csr, &scep.PKIMessage{
		MessageType: scep.PKCSReq,
		Recipients:  st.caCerts,
		SignerKey:   st.key,
		SignerCert:  st.cert,
	})
	if err != nil {
		return nil, fmt.Errorf("issuer: SCEP request: %w", err)
	}
	body, _, err := s.do(ctx, http.MethodPost, "PKIOperation", msg.Raw)
	if err != nil {
		return nil, err
	}
	rep, err := scep.ParsePKIMessage(body, scep.WithCACerts(st.caCerts))
	if err != nil {
		return nil, fmt.Errorf("issuer: SCEP answer: %w", err)
	}
	if rep.MessageType != scep.CertRep || rep.CertRepMessage == nil {
		return nil, fmt.Errorf("issuer: SCEP answer is not a CertRep")
	}
	if string(rep.TransactionID) != string(msg.TransactionID) {
		return nil, fmt.Errorf("issuer: SCEP answer is for another transaction")
	}
	if !bytes.Equal(rep.RecipientNonce, msg.SenderNonce) {
		return nil, fmt.Errorf("issuer: SCEP answer does not echo our nonce")
	}
	switch rep.PKIStatus {
	case scep.SUCCESS:
	case scep.PENDING:
		return nil, ErrSCEPPending
	case scep.FAILURE:
		// FailInfo's String method panics on unknown values: print the code.
		return nil, fmt.Errorf("%w: failInfo %q", ErrSCEPRefused, string(rep.FailInfo))
	default:
		return nil, fmt.Errorf("issuer: SCEP answer has status %q", string(rep.PKIStatus))
	}
	if err := rep.DecryptPKIEnvelope(st.cert, st.key); err != nil {
		return nil, fmt.Errorf("issuer: SCEP answer: %w", err)
	}
	cert := rep.Certificate
	if cert == nil {
		return nil, fmt.Errorf("issuer: SCEP answer holds no certificate")
	}
	pub, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(csr.PublicKey) {
		return nil, fmt.Errorf("issuer: SCEP CA issued a certificate for another key")
	}
	return cert, nil
}

var _ Issuer = (*SCEP)(nil)

// Package deviceclient is the Go client of the onboarding device protocol
// (onboarding.Manager.DeviceHandler), for Go authenticators, tests and the
// server's device simulator. It holds the device's key and signs the final
// CSR with it.
package deviceclient

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/usher-sdk/usher/internal/httpjson"
	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/onboarding/issuer"
)

// MaxResponseBody is the largest answer the client reads: 1 MiB.
const MaxResponseBody = 1 << 20

// Error is an error answer of the server: its HTTP Status, its Code (one
// of the onboarding.Code constants) and its Message.
type Error = httpjson.APIError

// Client talks to one server on behalf of one device key. Make it with New;
// it is safe for concurrent use, though one onboarding is a sequence of
// calls that each need the previous answer's nonce.
type Client struct {
	base *url.URL
	http *http.Client
	key  crypto.Signer
	spki []byte
}

// Option sets a dependency of a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client. Default: http.DefaultClient.
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// New returns a client of the server at baseURL (where DeviceHandler is
// mounted) for key, an *ecdsa.PrivateKey on P-256 or an ed25519.PrivateKey.
func New(baseURL string, key crypto.Signer, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("deviceclient: bad base URL %q", baseURL)
	}
	if key == nil {
		return nil, errors.New("deviceclient: nil key")
	}
	spki, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, fmt.Errorf("deviceclient: key: %w", err)
	}
	c := &Client{base: u, http: http.DefaultClient, key: key, spki: spki}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// PublicKey returns the device key's DER SubjectPublicKeyInfo.
func (c *Client) PublicKey() []byte { return bytes.Clone(c.spki) }

// Start begins an onboarding to the named application.
func (c *Client) Start(ctx context.Context, application string) (onboarding.State, error) {
	var st onboarding.State
	err := c.post(ctx, "/v1/onboardings", onboarding.StartRequest{Application: application, PublicKey: c.spki}, &st)
	return st, err
}

// Status asks where the onboarding st stands (while it waits for approval).
func (c *Client) Status(ctx context.Context, st onboarding.State) (onboarding.State, error) {
	var out onboarding.State
	err := c.post(ctx, "/v1/onboardings/"+url.PathEscape(st.ActivityID)+"/status", onboarding.NonceRequest{Nonce: st.Nonce}, &out)
	return out, err
}

// Answer answers the current step of st with answer (marshalled to JSON; nil
// sends {}).
func (c *Client) Answer(ctx context.Context, st onboarding.State, answer any) (onboarding.State, error) {
	raw := json.RawMessage(`{}`)
	if answer != nil {
		b, err := json.Marshal(answer)
		if err != nil {
			return onboarding.State{}, fmt.Errorf("deviceclient: answer: %w", err)
		}
		raw = b
	}
	var out onboarding.State
	err := c.post(ctx, "/v1/onboardings/"+url.PathEscape(st.ActivityID)+"/answers",
		onboarding.AnswerRequest{Step: st.Step, Nonce: st.Nonce, Answer: raw}, &out)
	return out, err
}

// Credentials answers a Credentials step.
func (c *Client) Credentials(ctx context.Context, st onboarding.State, username, password string) (onboarding.State, error) {
	return c.Answer(ctx, st, map[string]string{"username": username, "password": password})
}

// Enrol sends a CSR signed with the device key carrying st's nonce (and
// st.CSRChallenge in its challengePassword when the server gives one) and
// returns the device ID and certificate.
func (c *Client) Enrol(ctx context.Context, st onboarding.State) (string, *x509.Certificate, error) {
	csr, err := issuer.NewCSRChallenge(rand.Reader, c.key, pkix.Name{CommonName: "device"}, st.Nonce, st.CSRChallenge)
	if err != nil {
		return "", nil, fmt.Errorf("deviceclient: CSR: %w", err)
	}
	return c.SendCSR(ctx, st, csr)
}

// SendCSR sends a CSR made elsewhere (DER or PEM).
func (c *Client) SendCSR(ctx context.Context, st onboarding.State, csr []byte) (string, *x509.Certificate, error) {
	var resp onboarding.CertificateResponse
	if err := c.post(ctx, "/v1/onboardings/"+url.PathEscape(st.ActivityID)+"/certificate",
		onboarding.CertificateRequest{CSR: csr}, &resp); err != nil {
		return "", nil, err
	}
	cert, err := x509.ParseCertificate(resp.Certificate)
	if err != nil {
		return "", nil, fmt.Errorf("deviceclient: certificate: %w", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(cert.PublicKey)
	if err != nil || !bytes.Equal(pub, c.spki) {
		return "", nil, errors.New("deviceclient: the certificate is not for this device's key")
	}
	return resp.DeviceID, cert, nil
}

func (c *Client) post(ctx context.Context, path string, body, out any) error {
	if err := httpjson.Do(ctx, c.http, http.MethodPost, c.base.String()+path, nil, body, out, MaxResponseBody); err != nil {
		if _, ok := errors.AsType[*Error](err); ok {
			return err
		}
		return fmt.Errorf("deviceclient: %w", err)
	}
	return nil
}

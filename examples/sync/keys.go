package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/usher-sdk/usher/directory"
)

// keysPath is where the public key is uploaded, under the server's URL.
const keysPath = "/api/sync/keys"

// publicPEM returns the organization's public key as PEM: the public key
// file, or, when it is missing, the public half of the private key.
func publicPEM(privPath, pubPath string) ([]byte, error) {
	data, err := os.ReadFile(pubPath)
	if err == nil {
		if _, err := directory.ParsePublicKey(data); err != nil {
			return nil, fmt.Errorf("public key %s: %w", pubPath, err)
		}
		return data, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("public key: %w", err)
	}
	key, err := directory.LoadPrivateKey(privPath)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(key.(crypto.Signer).Public())
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// uploadKey posts the public key PEM to {server}/api/sync/keys with the
// access token as a bearer token. Any 2xx answer is success.
func (a *app) uploadKey(ctx context.Context, server, token, orgID string, pemData []byte) error {
	u, err := url.Parse(strings.TrimRight(server, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("setting \"server\": %q is not an http(s) URL", server)
	}
	if token == "" {
		return errors.New("uploading the public key needs the access token (--token)")
	}
	endpoint := u.String() + keysPath
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(pemData))
	if err != nil {
		return fmt.Errorf("uploading the public key: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/x-pem-file")
	req.Header.Set("Usher-Organization", orgID)
	resp, err := a.httpClient.Do(req)
	if err != nil {
		return fmt.Errorf("uploading the public key to %s: %w", endpoint, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	msg := strings.TrimSpace(string(body))
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Errorf("uploading the public key to %s: %s: the server refused the access token (setting \"token\")", endpoint, resp.Status)
	case http.StatusConflict:
		return fmt.Errorf("uploading the public key to %s: %s: the organization has another key registered: %s", endpoint, resp.Status, msg)
	}
	return fmt.Errorf("uploading the public key to %s: %s: %s", endpoint, resp.Status, msg)
}

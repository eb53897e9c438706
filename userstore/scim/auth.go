package scim

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// TokenVerifier decides whether a bearer token may use the SCIM endpoint.
// ok false with a nil error is a refused token (401); an error is a failure
// of the verifier itself (500). Implementations must be safe for concurrent
// use and must not log the token.
type TokenVerifier interface {
	VerifySCIMToken(ctx context.Context, token string) (ok bool, err error)
}

// StaticTokens is a TokenVerifier over a fixed set of tokens, of which it
// keeps only SHA-256 hashes; a token is compared with every hash in constant
// time. Make one with NewStaticTokens. It is safe for concurrent use.
type StaticTokens struct {
	hashes [][sha256.Size]byte
}

// NewStaticTokens returns a StaticTokens accepting the given tokens; empty
// ones are skipped.
func NewStaticTokens(tokens ...string) *StaticTokens {
	s := &StaticTokens{}
	for _, t := range tokens {
		if t != "" {
			s.hashes = append(s.hashes, sha256.Sum256([]byte(t)))
		}
	}
	return s
}

// VerifySCIMToken reports whether token is one of the tokens. It never
// returns an error.
func (s *StaticTokens) VerifySCIMToken(_ context.Context, token string) (bool, error) {
	h := sha256.Sum256([]byte(token))
	ok := 0
	for i := range s.hashes {
		ok |= subtle.ConstantTimeCompare(h[:], s.hashes[i][:])
	}
	return ok == 1 && token != "", nil
}

// bearerToken returns the token of an "Authorization: Bearer" header.
func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

var _ TokenVerifier = (*StaticTokens)(nil)

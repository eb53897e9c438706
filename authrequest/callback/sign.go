package callback

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Standard Webhooks: the headers of a signed delivery and the prefix of
// its secrets.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
	SecretPrefix    = "whsec_"
)

// Bounds of secrets and message IDs.
const (
	// MinSecretBytes is the shortest key a secret may hold (24 bytes).
	MinSecretBytes = 24
	// MaxSecretBytes is the longest (64 bytes).
	MaxSecretBytes = 64
	// MaxSecrets is the most secrets one message is signed with (8).
	MaxSecrets = 8
	// MaxIDLength is the longest message ID (256 bytes).
	MaxIDLength = 256
)

// NewSecret returns a new Standard Webhooks secret: "whsec_" and the
// standard base64 of 32 bytes read from r (crypto/rand.Reader when r is
// nil).
func NewSecret(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	key := make([]byte, 32)
	if _, err := io.ReadFull(r, key); err != nil {
		return "", fmt.Errorf("callback: new secret: %w", err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(key), nil
}

// CheckSecret checks that s is a Standard Webhooks secret: "whsec_" and
// the standard base64 of MinSecretBytes to MaxSecretBytes bytes. The
// error wraps ErrInvalid and does not show s.
func CheckSecret(s string) error {
	_, err := secretKey(s)
	return err
}

func secretKey(s string) ([]byte, error) {
	b64, ok := strings.CutPrefix(s, SecretPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: secret without the %q prefix", ErrInvalid, SecretPrefix)
	}
	if len(b64) > base64.StdEncoding.EncodedLen(MaxSecretBytes) {
		return nil, fmt.Errorf("%w: secret longer than %d bytes", ErrInvalid, MaxSecretBytes)
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("%w: secret is not base64", ErrInvalid)
	}
	if len(key) < MinSecretBytes {
		return nil, fmt.Errorf("%w: secret shorter than %d bytes", ErrInvalid, MinSecretBytes)
	}
	return key, nil
}

// checkID checks a message ID: 1 to MaxIDLength printable ASCII bytes,
// no space.
func checkID(id string) error {
	if id == "" || len(id) > MaxIDLength {
		return fmt.Errorf("%w: message ID empty or longer than %d bytes", ErrInvalid, MaxIDLength)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c >= 0x7f {
			return fmt.Errorf("%w: message ID with a space or control character", ErrInvalid)
		}
	}
	return nil
}

// Sign returns the Standard Webhooks webhook-signature of a message:
// "v1,<base64 HMAC-SHA256 of msgID.unix-seconds.body>" for each secret,
// separated by spaces, in the order of secrets (during a rotation a
// receiver that knows any one of them verifies). It fails, wrapping
// ErrInvalid, without secrets, with more than MaxSecrets, with a secret
// that CheckSecret refuses or an invalid msgID (1 to 256 printable ASCII
// bytes, no space).
func Sign(secrets []string, msgID string, ts time.Time, body []byte) (string, error) {
	if len(secrets) == 0 || len(secrets) > MaxSecrets {
		return "", fmt.Errorf("%w: 1 to %d secrets needed", ErrInvalid, MaxSecrets)
	}
	if err := checkID(msgID); err != nil {
		return "", err
	}
	var prefix []byte
	prefix = append(prefix, msgID...)
	prefix = append(prefix, '.')
	prefix = strconv.AppendInt(prefix, ts.Unix(), 10)
	prefix = append(prefix, '.')
	var b strings.Builder
	b.Grow(len(secrets) * 48)
	sum := make([]byte, 0, sha256.Size)
	for i, s := range secrets {
		key, err := secretKey(s)
		if err != nil {
			return "", fmt.Errorf("secret %d: %w", i, err)
		}
		mac := hmac.New(sha256.New, key)
		mac.Write(prefix)
		mac.Write(body)
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("v1,")
		b.WriteString(base64.StdEncoding.EncodeToString(mac.Sum(sum[:0])))
	}
	return b.String(), nil
}

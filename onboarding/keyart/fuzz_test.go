package keyart_test

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"regexp"
	"testing"

	"github.com/usher-sdk/usher/onboarding/keyart"
)

var codeRE = regexp.MustCompile(`^[0-9]{4} [0-9]{4}$`)

// FuzzOfSPKI feeds arbitrary bytes to OfSPKI, as a device could send them.
// It must never panic; it either refuses with one of the package's errors or
// returns the art of exactly those bytes, which then renders as SVG.
func FuzzOfSPKI(f *testing.F) {
	for _, name := range testKeys {
		der := readKey(f, name)
		f.Add(der)
		f.Add(der[:len(der)/2])
		f.Add(append(bytes.Clone(der), 0))
	}
	f.Add([]byte{})
	f.Add([]byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		art, err := keyart.OfSPKI(der)
		if err != nil {
			if !errors.Is(err, keyart.ErrEmpty) && !errors.Is(err, keyart.ErrTooLarge) && !errors.Is(err, keyart.ErrMalformed) {
				t.Fatalf("unexpected error type: %v", err)
			}
			if art != (keyart.Art{}) {
				t.Fatal("art returned with an error")
			}
			return
		}
		if art.Sum() != sha256.Sum256(der) {
			t.Fatal("art is not of the given bytes")
		}
		pub, err := x509.ParsePKIXPublicKey(der)
		if err != nil {
			t.Fatalf("accepted bytes the parser refuses: %v", err)
		}
		// The parser is strict enough that an accepted encoding is the
		// canonical one, so the device (Of on its key) and the server
		// (OfSPKI on the bytes received) agree.
		if again, err := keyart.Of(pub); err != nil || again != art {
			t.Fatalf("Of(ParsePKIXPublicKey(der)) = %v, %v; differs from OfSPKI(der)", again.Code(), err)
		}
		if !codeRE.MatchString(art.Code()) {
			t.Fatalf("bad code %q", art.Code())
		}
		var buf bytes.Buffer
		if err := art.SVG(&buf); err != nil {
			t.Fatal(err)
		}
		checkSVG(t, buf.Bytes())
	})
}

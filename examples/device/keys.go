package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/usher-sdk/usher/internal/keyfile"
	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/onboarding/keyart"
)

// Key algorithms of init's -alg.
const (
	algP256    = "p256"
	algEd25519 = "ed25519"
)

// defaultPNGSize is the side of the PNG pictures, in pixels: 3 per unit.
const defaultPNGSize = 3 * keyart.Units

// newKey makes a key of alg and returns it with its PKCS #8 PEM.
func newKey(alg string) (crypto.Signer, []byte, error) {
	var key crypto.Signer
	var err error
	switch strings.ToLower(alg) {
	case algP256, "ecdsa", "p-256":
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case algEd25519:
		_, key, err = ed25519.GenerateKey(rand.Reader)
	default:
		return nil, nil, usagef("-alg %q: want %s or %s", alg, algP256, algEd25519)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("making the key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding the key: %w", err)
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// loadKey reads the device's key, refusing a file others can read and a
// key onboarding does not take.
func loadKey(path string) (crypto.Signer, error) {
	k, err := keyfile.LoadPrivateKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no key file %s (make one with \"%s init -key %s\")", path, prog, path)
	}
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	switch k := k.(type) {
	case *ecdsa.PrivateKey:
		if k.Curve == elliptic.P256() {
			return k, nil
		}
	case ed25519.PrivateKey:
		return k, nil
	}
	return nil, fmt.Errorf("key file %s: not an ECDSA P-256 or Ed25519 key", path)
}

// algName names the algorithm of key for people.
func algName(key crypto.Signer) string {
	switch key.(type) {
	case *ecdsa.PrivateKey:
		return "ECDSA P-256"
	case ed25519.PrivateKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", key)
}

// identity is what a person compares: the key's fingerprint (SHA-256 of
// its SubjectPublicKeyInfo, as onboarding.Fingerprint), picture and code.
type identity struct {
	spki        []byte
	fingerprint string
	art         keyart.Art
}

func identityOf(key crypto.Signer) (identity, error) {
	spki, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return identity{}, fmt.Errorf("public key: %w", err)
	}
	art, err := keyart.OfSPKI(spki)
	if err != nil {
		return identity{}, fmt.Errorf("public key: %w", err)
	}
	return identity{spki: spki, fingerprint: onboarding.Fingerprint(spki), art: art}, nil
}

// writePNG writes the picture to path (mode 0644: it is public, derived
// from the public key), replacing what was there.
func writePNG(path string, art keyart.Art, size int) error {
	var b bytes.Buffer
	if err := art.PNG(&b, size); err != nil {
		return fmt.Errorf("picture: %w", err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("picture: %w", err)
	}
	return nil
}

// writeSVG writes the picture to path as SVG (mode 0644).
func writeSVG(path string, art keyart.Art) error {
	var b bytes.Buffer
	if err := art.SVG(&b); err != nil {
		return fmt.Errorf("picture: %w", err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("picture: %w", err)
	}
	return nil
}

// pictureFlags are -png, -svg and -size, of init and show.
type pictureFlags struct {
	png, svg string
	size     int
}

func (p *pictureFlags) add(fl *flag.FlagSet) {
	fl.StringVar(&p.png, "png", "", "write the key's picture as PNG to this file")
	fl.StringVar(&p.svg, "svg", "", "write the key's picture as SVG to this file")
	fl.IntVar(&p.size, "size", defaultPNGSize, fmt.Sprintf("side of the PNG in pixels, %d to %d", keyart.MinPNGSize, keyart.MaxPNGSize))
}

func (p *pictureFlags) check() error {
	if p.size < keyart.MinPNGSize || p.size > keyart.MaxPNGSize {
		return usagef("-size %d: want %d to %d", p.size, keyart.MinPNGSize, keyart.MaxPNGSize)
	}
	return nil
}

// writePictures writes the pictures asked for and says where.
func (a *app) writePictures(p *pictureFlags, art keyart.Art) error {
	if p.png != "" {
		if err := writePNG(p.png, art, p.size); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "picture:     %s\n", p.png)
	}
	if p.svg != "" {
		if err := writeSVG(p.svg, art); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "picture:     %s\n", p.svg)
	}
	return nil
}

func (a *app) printIdentity(id identity) {
	fmt.Fprintf(a.stdout, "fingerprint: %s\n", id.fingerprint)
	fmt.Fprintf(a.stdout, "code:        %s\n", id.art.Code())
}

// cmdInit: init -key FILE [-alg p256|ed25519] [-png FILE] [-svg FILE].
func (a *app) cmdInit(_ context.Context, args []string) error {
	fl := a.newFlagSet("init", "Makes the device's private key in a new file (mode 0600; an existing file is\n"+
		"never overwritten) and prints its fingerprint (SHA-256 of the public key's\nSubjectPublicKeyInfo) and 8-digit comparison code.")
	p := keyFlags(fl)
	alg := fl.String("alg", algP256, "key algorithm: "+algP256+" (ECDSA P-256) or "+algEd25519)
	var pic pictureFlags
	pic.add(fl)
	if err := parse(fl, args); err != nil {
		return err
	}
	if err := p.check(); err != nil {
		return err
	}
	if err := pic.check(); err != nil {
		return err
	}
	key, pemData, err := newKey(*alg)
	if err != nil {
		return err
	}
	if err := keyfile.WriteNew(p.key, pemData, 0o600); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("writing the key: the folder of %s does not exist", p.key)
		}
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s exists; init never overwrites a key (remove it first to make a new device)", p.key)
		}
		return fmt.Errorf("writing the key: %w", err)
	}
	id, err := identityOf(key)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "key:         %s (%s, mode 0600)\n", p.key, algName(key))
	a.printIdentity(id)
	return a.writePictures(&pic, id.art)
}

package keyart_test

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"image/png"
	"log"
	"os"
	"strings"

	"github.com/usher-sdk/usher/onboarding/keyart"
)

// The server computes the art of the SubjectPublicKeyInfo a device sent and
// shows the code beside the picture; the device does the same with its own
// key.
func ExampleOfSPKI() {
	der, err := os.ReadFile("testdata/p256.der")
	if err != nil {
		log.Fatal(err)
	}
	art, err := keyart.OfSPKI(der)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(art.Code())
	// Output: 5478 6930
}

// A device computes the art of its own key without encoding it by hand.
func ExampleOf() {
	seed := make([]byte, ed25519.SeedSize) // a fixed key, for the example only
	for i := range seed {
		seed[i] = byte(i)
	}
	pub := ed25519.NewKeyFromSeed(seed).Public()
	art, err := keyart.Of(pub)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(art.Code())
	fmt.Printf("frame colour %d, top-left cell colour %d\n", art.Frame(), art.Cell(0, 0))
	// Output:
	// 7528 1573
	// frame colour 7, top-left cell colour 5
}

// Bad input is refused with a sentinel error.
func ExampleOfSPKI_refused() {
	_, err := keyart.OfSPKI([]byte("-----BEGIN PUBLIC KEY-----"))
	fmt.Println(err != nil)
	_, err = keyart.OfSPKI(nil)
	fmt.Println(err)
	// Output:
	// true
	// keyart: empty public key
}

func ExampleArt_SVG() {
	der, err := os.ReadFile("testdata/p256.der")
	if err != nil {
		log.Fatal(err)
	}
	art, err := keyart.OfSPKI(der)
	if err != nil {
		log.Fatal(err)
	}
	var buf bytes.Buffer
	if err := art.SVG(&buf); err != nil {
		log.Fatal(err)
	}
	first, _, _ := strings.Cut(buf.String(), "\n")
	fmt.Println(first)
	fmt.Println(buf.Len(), "bytes")
	// Output:
	// <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 120" width="240" height="240" shape-rendering="crispEdges">
	// 6052 bytes
}

func ExampleArt_PNG() {
	der, err := os.ReadFile("testdata/p256.der")
	if err != nil {
		log.Fatal(err)
	}
	art, err := keyart.OfSPKI(der)
	if err != nil {
		log.Fatal(err)
	}
	var buf bytes.Buffer
	if err := art.PNG(&buf, 240); err != nil {
		log.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(img.Bounds().Size())
	// Output: (240,240)
}

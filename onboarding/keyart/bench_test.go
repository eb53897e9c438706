package keyart_test

import (
	"io"
	"strconv"
	"testing"

	"github.com/usher-sdk/usher/onboarding/keyart"
)

func BenchmarkOfSPKI(b *testing.B) {
	for _, name := range testKeys {
		der := readKey(b, name)
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := keyart.OfSPKI(der); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRender(b *testing.B) {
	art, err := keyart.OfSPKI(readKey(b, "p256"))
	if err != nil {
		b.Fatal(err)
	}
	for _, size := range []int{keyart.MinPNGSize, 240, 480} {
		b.Run("PNG/"+strconv.Itoa(size), func(b *testing.B) {
			for b.Loop() {
				if err := art.PNG(io.Discard, size); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("SVG", func(b *testing.B) {
		for b.Loop() {
			if err := art.SVG(io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Code", func(b *testing.B) {
		for b.Loop() {
			_ = art.Code()
		}
	})
}

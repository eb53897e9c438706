package keyart

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
)

// Sizes, in pixels, that [Art.PNG] accepts.
const (
	// MinPNGSize is the smallest PNG side: one pixel per unit, so every
	// gutter stays visible.
	MinPNGSize = Units
	// MaxPNGSize is the largest PNG side; it bounds memory (4 MiB of
	// pixels at one byte each).
	MaxPNGSize = 2048
)

// PNG writes the picture to w as a size×size PNG with an indexed palette.
// size must be from [MinPNGSize] to [MaxPNGSize] (else an error wrapping
// [ErrSize]); multiples of [Units] give every unit the same number of pixels,
// other sizes spread the rounding over the picture. Each pixel takes the
// colour of the unit under its centre. The pixels depend only on the art and
// size; the bytes also on the Go release's DEFLATE encoder.
func (a Art) PNG(w io.Writer, size int) error {
	if size < MinPNGSize || size > MaxPNGSize {
		return fmt.Errorf("%w: %d, want %d to %d", ErrSize, size, MinPNGSize, MaxPNGSize)
	}
	pal := make(color.Palette, 0, len(palette)+1)
	for _, c := range palette {
		pal = append(pal, c)
	}
	pal = append(pal, color.RGBA{0xff, 0xff, 0xff, 0xff}) // index white
	img := image.NewPaletted(image.Rect(0, 0, size, size), pal)
	// unit[i] is the unit under the centre of pixel i, the same for x and y.
	unit := make([]int, size)
	for i := range unit {
		unit[i] = (2*i + 1) * Units / (2 * size)
	}
	for y := range size {
		row := img.Pix[y*img.Stride : y*img.Stride+size]
		for x := range row {
			row[x] = uint8(a.colourAt(unit[x], unit[y]))
		}
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(w, img); err != nil {
		return fmt.Errorf("keyart: writing PNG: %w", err)
	}
	return nil
}

package keyart_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/xml"
	"flag"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/onboarding/keyart"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenSize is the side of the golden PNGs.
const goldenSize = 240

// TestGolden checks that each testdata key gives byte-identical PNG, SVG and
// code to the golden files; go test -run TestGolden -update rewrites them.
func TestGolden(t *testing.T) {
	t.Parallel()
	for _, name := range testKeys {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			art, err := keyart.OfSPKI(readKey(t, name))
			require.NoError(t, err)
			var p, s bytes.Buffer
			require.NoError(t, art.PNG(&p, goldenSize))
			require.NoError(t, art.SVG(&s))
			golden(t, name+".png", p.Bytes())
			golden(t, name+".svg", s.Bytes())
			golden(t, name+".code", []byte(art.Code()+"\n"))
		})
	}
}

func golden(t *testing.T, file string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", file)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test -run TestGolden -update")
	assert.True(t, bytes.Equal(want, got), "%s differs from the golden file; run go test -run TestGolden -update if the change is intended", path)
}

// cellCentre returns the pixel at the centre of grid cell (row, col) in a
// picture of side size: units 10+10·col+5, scaled.
func cellCentre(img image.Image, size, row, col int) color.Color {
	at := func(i int) int { return (10 + 10*i + 5) * size / keyart.Units }
	return img.At(at(col), at(row))
}

func decodePNG(t *testing.T, art keyart.Art, size int) image.Image {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, art.PNG(&buf, size))
	img, err := png.Decode(&buf)
	require.NoError(t, err)
	require.Equal(t, image.Rect(0, 0, size, size), img.Bounds())
	return img
}

func rgba(c color.Color) color.RGBA {
	return color.RGBAModel.Convert(c).(color.RGBA)
}

// TestPNGMatchesCells decodes PNGs of several sizes and checks the centre of
// every cell, the frame and the gutters against Cell, Frame and white.
func TestPNGMatchesCells(t *testing.T) {
	t.Parallel()
	art := keyart.FromSum(sha256.Sum256([]byte("cells")))
	pal := keyart.Palette()
	white := color.RGBA{0xff, 0xff, 0xff, 0xff}
	for _, size := range []int{keyart.MinPNGSize, 200, goldenSize, 257, 512} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			t.Parallel()
			img := decodePNG(t, art, size)
			for row := range keyart.GridSize {
				for col := range keyart.GridSize {
					assert.Equal(t, pal[art.Cell(row, col)], rgba(cellCentre(img, size, row, col)), "cell %d,%d", row, col)
					assert.Equal(t, art.Cell(row, col), art.Cell(row, keyart.GridSize-1-col), "mirror %d,%d", row, col)
				}
			}
			frame := pal[art.Frame()]
			assert.Equal(t, frame, rgba(img.At(0, 0)))
			assert.Equal(t, frame, rgba(img.At(size-1, size/2)))
			assert.Equal(t, white, rgba(img.At(9*size/keyart.Units, size/2)), "field between frame and grid")
			assert.Equal(t, white, rgba(img.At((20*size+size/2)/keyart.Units, (15*size)/keyart.Units)), "gutter between cells")
		})
	}
}

// TestBitFlipVisible flips each picture bit of a hash in turn and checks that
// the PNG then differs at the centre of a cell or in the frame — a visible
// change — and that bits outside the picture change no pixel.
func TestBitFlipVisible(t *testing.T) {
	t.Parallel()
	const size = keyart.MinPNGSize
	base := sha256.Sum256([]byte("flip"))
	baseImg := decodePNG(t, keyart.FromSum(base), size)
	var baseSVG bytes.Buffer
	require.NoError(t, keyart.FromSum(base).SVG(&baseSVG))
	for bit := range 256 {
		s := base
		s[bit/8] ^= 0x80 >> (bit % 8)
		img := decodePNG(t, keyart.FromSum(s), size)
		visible := !sameColour(baseImg.At(0, 0), img.At(0, 0))
		for row := range keyart.GridSize {
			for col := range keyart.GridSize {
				if !sameColour(cellCentre(baseImg, size, row, col), cellCentre(img, size, row, col)) {
					visible = true
				}
			}
		}
		var svg bytes.Buffer
		require.NoError(t, keyart.FromSum(s).SVG(&svg))
		if bit < 153 {
			assert.True(t, visible, "flipping bit %d changes no cell or frame", bit)
			assert.NotEqual(t, baseSVG.String(), svg.String(), "bit %d: SVG unchanged", bit)
		} else {
			assert.False(t, visible, "bit %d is not meant to be drawn", bit)
			assert.Equal(t, baseSVG.String(), svg.String(), "bit %d: SVG changed", bit)
			assert.Equal(t, keyart.FromSum(base).Frame(), keyart.FromSum(s).Frame())
		}
	}
}

func sameColour(a, b color.Color) bool { return rgba(a) == rgba(b) }

func TestPNGSize(t *testing.T) {
	t.Parallel()
	art := keyart.FromSum(sha256.Sum256([]byte("size")))
	for _, size := range []int{-1, 0, 1, keyart.MinPNGSize - 1, keyart.MaxPNGSize + 1, 1 << 30} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			require.ErrorIs(t, art.PNG(&buf, size), keyart.ErrSize)
			assert.Zero(t, buf.Len(), "nothing written on error")
		})
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

func TestWriteErrors(t *testing.T) {
	t.Parallel()
	art := keyart.FromSum(sha256.Sum256([]byte("write")))
	require.ErrorIs(t, art.PNG(failWriter{}, keyart.MinPNGSize), io.ErrClosedPipe)
	require.ErrorIs(t, art.SVG(failWriter{}), io.ErrClosedPipe)
}

var (
	numberRE = regexp.MustCompile(`^[0-9]+$`)
	colourRE = regexp.MustCompile(`^#[0-9a-f]{6}$`)
)

// checkSVG parses doc with encoding/xml and checks its shape: one svg root,
// 102 rects (frame, field, 100 cells), every attribute a number or colour
// except the fixed xmlns, viewBox and shape-rendering. It returns the cell
// fills in row-major order.
func checkSVG(t *testing.T, doc []byte) []string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var fills []string
	depth, rects := 0, 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		switch el := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 1 {
				require.Equal(t, "svg", el.Name.Local)
				require.Equal(t, "http://www.w3.org/2000/svg", el.Name.Space)
				continue
			}
			require.Equal(t, 2, depth, "no nesting below svg")
			require.Equal(t, "rect", el.Name.Local)
			rects++
			for _, a := range el.Attr {
				switch a.Name.Local {
				case "x", "y", "width", "height":
					assert.Regexp(t, numberRE, a.Value)
				case "fill":
					assert.Regexp(t, colourRE, a.Value)
					if rects > 2 {
						fills = append(fills, a.Value)
					}
				default:
					t.Errorf("unexpected attribute %s", a.Name.Local)
				}
			}
		case xml.EndElement:
			depth--
		case xml.CharData:
			assert.Empty(t, bytes.TrimSpace(el), "no text content")
		default:
			t.Errorf("unexpected token %T", tok)
		}
	}
	require.Equal(t, 0, depth)
	require.Equal(t, 2+keyart.GridSize*keyart.GridSize, rects)
	return fills
}

func TestSVG(t *testing.T) {
	t.Parallel()
	for _, name := range testKeys {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			art, err := keyart.OfSPKI(readKey(t, name))
			require.NoError(t, err)
			var buf bytes.Buffer
			require.NoError(t, art.SVG(&buf))
			fills := checkSVG(t, buf.Bytes())
			pal := keyart.Palette()
			for i, f := range fills {
				c := pal[art.Cell(i/keyart.GridSize, i%keyart.GridSize)]
				assert.Equal(t, "#"+hex2(c.R)+hex2(c.G)+hex2(c.B), f, "cell %d", i)
			}
		})
	}
}

func hex2(b uint8) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[b>>4], digits[b&15]})
}

func TestPalette(t *testing.T) {
	t.Parallel()
	p := keyart.Palette()
	p[0] = color.RGBA{1, 2, 3, 4}
	assert.NotEqual(t, p[0], keyart.Palette()[0], "Palette returns a copy")
	// Well separated: every pair differs by at least 60 in some channel.
	pal := keyart.Palette()
	for i := range pal {
		for j := i + 1; j < len(pal); j++ {
			d := max(absDiff(pal[i].R, pal[j].R), absDiff(pal[i].G, pal[j].G), absDiff(pal[i].B, pal[j].B))
			assert.GreaterOrEqual(t, d, 60, "colours %d and %d", i, j)
		}
	}
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

func TestCellOutOfRange(t *testing.T) {
	t.Parallel()
	art := keyart.Art{}
	for _, rc := range [][2]int{{-1, 0}, {0, -1}, {keyart.GridSize, 0}, {0, keyart.GridSize}} {
		assert.Panics(t, func() { art.Cell(rc[0], rc[1]) })
	}
}

package keyart

import (
	"bufio"
	"fmt"
	"image/color"
	"io"
)

// SVG writes the picture to w as a standalone SVG document whose viewBox is
// [Units] wide and high, with a default size of 240 by 240 pixels; the
// embedding page may scale it. The document is built by hand from numbers and colours this
// package computes — no input text reaches it — and is well-formed XML. The
// bytes depend only on the art.
func (a Art) SVG(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" shape-rendering="crispEdges">`+"\n",
		Units, Units, 2*Units, 2*Units)
	fmt.Fprintf(bw, `<rect width="%d" height="%d" fill="%s"/>`+"\n", Units, Units, hex(palette[a.Frame()]))
	fmt.Fprintf(bw, `<rect x="%d" y="%d" width="%d" height="%d" fill="#ffffff"/>`+"\n",
		frameWidth, frameWidth, Units-2*frameWidth, Units-2*frameWidth)
	for row := range GridSize {
		for col := range GridSize {
			fmt.Fprintf(bw, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"/>`+"\n",
				gridOrigin+col*cellPitch+cellInset, gridOrigin+row*cellPitch+cellInset,
				cellPaint, cellPaint, hex(palette[a.Cell(row, col)]))
		}
	}
	bw.WriteString("</svg>\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("keyart: writing SVG: %w", err)
	}
	return nil
}

// hex formats c as #rrggbb.
func hex(c color.RGBA) string {
	return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B)
}

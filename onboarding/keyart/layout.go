package keyart

import "image/color"

// Geometry of the picture in units; see the package documentation.
const (
	// Units is the side of the picture in units (the SVG viewBox).
	Units = 120
	// GridSize is the number of cells in a row and in a column.
	GridSize = 10

	frameWidth = 8  // frame band, in units
	gridOrigin = 10 // first cell's top-left corner, in units
	cellPitch  = 10 // distance between cells' corners, in units
	cellInset  = 1  // white gutter on each side of a cell, in units
	cellPaint  = cellPitch - 2*cellInset

	halfGrid           = GridSize / 2
	colourBits         = 3
	frameBit           = GridSize * halfGrid * colourBits // first frame bit: 150
	white              = len(palette)                     // index of the white field in the PNG's palette
	visibleBits        = frameBit + colourBits            // 153
	sumBytesForPicture = 20                               // bytes 0–19 hold every visible bit

	// Compile-time checks: at least 128 bits shown, all within the
	// picture's bytes (a negative constant does not convert to uint).
	_ = uint(visibleBits - 128)
	_ = uint(sumBytesForPicture*8 - visibleBits)
)

// Palette returns the 8 colours of the cells and the frame, numbered by the
// 3 bits that choose them: the palette of Okabe and Ito, which stays
// distinguishable for most colour-blind readers. Index: 0 black, 1 orange,
// 2 sky blue, 3 bluish green, 4 yellow, 5 blue, 6 vermillion, 7 reddish
// purple. The field behind the cells is white (#FFFFFF). It returns a copy;
// the package has no mutable state.
func Palette() [8]color.RGBA {
	return palette
}

// palette is never written; see Palette.
var palette = [8]color.RGBA{
	{0x00, 0x00, 0x00, 0xff},
	{0xe6, 0x9f, 0x00, 0xff},
	{0x56, 0xb4, 0xe9, 0xff},
	{0x00, 0x9e, 0x73, 0xff},
	{0xf0, 0xe4, 0x42, 0xff},
	{0x00, 0x72, 0xb2, 0xff},
	{0xd5, 0x5e, 0x00, 0xff},
	{0xcc, 0x79, 0xa7, 0xff},
}

// Cell returns the palette index (0–7) of the cell in row and column col of
// the grid, both 0 to [GridSize]-1 counted from the top left. Columns col and
// GridSize-1-col always agree. It panics when row or col is out of range.
func (a Art) Cell(row, col int) int {
	if row < 0 || row >= GridSize || col < 0 || col >= GridSize {
		panic("keyart: cell out of range")
	}
	if col >= halfGrid {
		col = GridSize - 1 - col
	}
	return a.bits((row*halfGrid+col)*colourBits, colourBits)
}

// Frame returns the palette index (0–7) of the frame.
func (a Art) Frame() int {
	return a.bits(frameBit, colourBits)
}

// colourAt returns the palette index (0–7, or white) of unit (ux, uy), both
// 0 to Units-1.
func (a Art) colourAt(ux, uy int) int {
	if ux < frameWidth || uy < frameWidth || ux >= Units-frameWidth || uy >= Units-frameWidth {
		return a.Frame()
	}
	gx, gy := ux-gridOrigin, uy-gridOrigin
	if gx < 0 || gy < 0 || gx >= GridSize*cellPitch || gy >= GridSize*cellPitch {
		return white
	}
	if ox, oy := gx%cellPitch, gy%cellPitch; ox < cellInset || oy < cellInset || ox >= cellInset+cellPaint || oy >= cellInset+cellPaint {
		return white
	}
	return a.Cell(gy/cellPitch, gx/cellPitch)
}

package csv

import (
	stdcsv "encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/usher-sdk/usher/directory"
)

// formulaStart reports whether a spreadsheet would treat a cell starting
// with b as a formula (OWASP's list for CSV injection).
func formulaStart(b byte) bool {
	switch b {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}

// neutralize returns cell so that no spreadsheet runs it as a formula: a
// cell starting with "=", "+", "-", "@", a tab or a carriage return gets a
// leading single quote. Other cells are returned unchanged.
func neutralize(cell string) string {
	if cell != "" && formulaStart(cell[0]) {
		return "'" + cell
	}
	return cell
}

// SafeCell returns cell so that no spreadsheet runs it as a formula, as
// Writer writes every cell: a cell starting with "=", "+", "-", "@", a tab
// or a carriage return gets a leading single quote (which Read removes
// again). For programs that write CSV of their own columns, such as a
// user export.
func SafeCell(cell string) string { return neutralize(cell) }

// unneutralize undoes neutralize.
func unneutralize(cell string) string {
	if len(cell) >= 2 && cell[0] == '\'' && formulaStart(cell[1]) {
		return cell[1:]
	}
	return cell
}

// Writer writes entries as CSV in one of the formats, neutralizing every
// cell (see neutralize). It never writes password hashes: a Notakey file
// it writes has an empty Password column. A Writer is not safe for
// concurrent use.
type Writer struct {
	w      *stdcsv.Writer
	format Format
	header bool
}

// NewWriter returns a Writer of format f (FormatAuto writes the PureSync
// template). Lines end in CRLF, as spreadsheets expect.
func NewWriter(w io.Writer, f Format) *Writer {
	if f == FormatAuto {
		f = FormatPureSync
	}
	cw := stdcsv.NewWriter(w)
	cw.UseCRLF = true
	return &Writer{w: cw, format: f}
}

// WriteHeader writes the header line. Write calls it before the first entry.
func (w *Writer) WriteHeader() error {
	if w.header {
		return nil
	}
	w.header = true
	if err := w.w.Write(columns(w.format)); err != nil {
		return fmt.Errorf("csv: writing header: %w", err)
	}
	return nil
}

// Write writes one entry, after the header if none was written yet.
func (w *Writer) Write(e directory.Entry) error {
	if err := w.WriteHeader(); err != nil {
		return err
	}
	var rec []string
	switch w.format {
	case FormatNotakey:
		enabled := "false"
		if e.Enabled {
			enabled = "true"
		}
		rec = []string{e.Username, e.FullName, e.CorporateEmail, e.Phone, "", strings.Join(e.Groups, "|"), enabled}
	default:
		rec = []string{e.FullName, e.PersonalEmail, e.CorporateEmail, e.Phone, strings.Join(e.Groups, ","), strings.Join(e.Roles, ",")}
	}
	for i := range rec {
		rec[i] = neutralize(rec[i])
	}
	if err := w.w.Write(rec); err != nil {
		return fmt.Errorf("csv: writing %q: %w", e.Username, err)
	}
	return nil
}

// Flush writes buffered data and returns any write error so far.
func (w *Writer) Flush() error {
	w.w.Flush()
	if err := w.w.Error(); err != nil {
		return fmt.Errorf("csv: %w", err)
	}
	return nil
}

// WriteTemplate writes the empty PureSync template: its header line.
func WriteTemplate(w io.Writer) error {
	cw := NewWriter(w, FormatPureSync)
	if err := cw.WriteHeader(); err != nil {
		return err
	}
	return cw.Flush()
}

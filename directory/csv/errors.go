package csv

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnknownFormat means the header matches neither the PureSync template
// nor the Notakey format. It is wrapped in the *RowError for line 1.
var ErrUnknownFormat = errors.New("csv: unknown file format")

// ErrTooLarge means the input is larger than Config.MaxBytes.
var ErrTooLarge = errors.New("csv: input too large")

// RowError is one bad row (or the bad header, Line 1) of an import.
type RowError struct {
	// Line is the 1-based line on which the row starts.
	Line int
	// Reason says what is wrong, in words meant for the person who fixes
	// the file. It never contains a password.
	Reason string
	// Err is the underlying error, if any (for example from the hasher).
	Err error
}

func (e *RowError) Error() string {
	return fmt.Sprintf("csv: line %d: %s", e.Line, e.Reason)
}

// Unwrap returns the underlying error.
func (e *RowError) Unwrap() error { return e.Err }

// ImportError reports every bad row of an import. Match it with errors.As;
// errors.Is also looks into each row's error.
type ImportError struct {
	Rows []*RowError
}

func (e *ImportError) Error() string {
	const show = 5
	var b strings.Builder
	fmt.Fprintf(&b, "csv: %d bad row(s)", len(e.Rows))
	for i, r := range e.Rows {
		if i == show {
			fmt.Fprintf(&b, "; and %d more", len(e.Rows)-show)
			break
		}
		fmt.Fprintf(&b, "; line %d: %s", r.Line, r.Reason)
	}
	return b.String()
}

// Unwrap returns the row errors, so errors.Is and errors.As see them.
func (e *ImportError) Unwrap() []error {
	errs := make([]error, len(e.Rows))
	for i, r := range e.Rows {
		errs[i] = r
	}
	return errs
}

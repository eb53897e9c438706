package csv_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/usher-sdk/usher/directory/csv"
)

// FuzzRead feeds arbitrary files to Read. It checks that Read never
// panics, that every error is an *ImportError (or ErrTooLarge) whose rows
// have a line number and a reason, that no password text leaks into Raw,
// and that what Writer writes from a good PureSync or Notakey import reads
// back to the same entries.
func FuzzRead(f *testing.F) {
	f.Add([]byte(pureSyncFile), uint8(0))
	f.Add([]byte("Username,Full name,Email,Phone,Password,Teams,Enabled\r\nada,Ada,ada@example.test,+1 555 0100,pw,a|b,yes\r\n"), uint8(0))
	f.Add([]byte("Username,Full name,Email,Phone,Password,Teams,Enabled\nu,\"=1+1\",,,,,t\n"), uint8(2))
	f.Add([]byte("Full Name,Corporate Email\n\"a\"\"b\",x@y.test\n\"unterminated\n"), uint8(1))
	f.Add([]byte("\uFEFFusername\n'=x\n'+1\n"), uint8(0))
	f.Add([]byte("a\"b,c\n"), uint8(0))

	reg := testRegistry(f)
	f.Fuzz(func(t *testing.T, data []byte, format uint8) {
		cfg := csv.Config{Format: csv.Format(format % 3), SkipBadRows: format&4 != 0, MaxBytes: 1 << 16}
		res, err := csv.Read(context.Background(), bytes.NewReader(data), cfg, csv.WithHasher(reg))
		if err != nil {
			if errors.Is(err, csv.ErrTooLarge) {
				return
			}
			var ie *csv.ImportError
			if !errors.As(err, &ie) || len(ie.Rows) == 0 {
				t.Fatalf("error %v is not an ImportError with rows", err)
			}
			for _, r := range ie.Rows {
				if r.Line < 1 || r.Reason == "" {
					t.Fatalf("row error without line or reason: %+v", r)
				}
			}
			return
		}
		for _, e := range res.Entries {
			if e.Username == "" {
				t.Fatalf("entry without username: %+v", e)
			}
			for k := range e.Raw {
				if strings.EqualFold(strings.TrimSpace(k), "password") {
					t.Fatalf("password column in Raw")
				}
			}
		}
		if len(res.Skipped) > 0 || len(res.Entries) == 0 {
			return
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf, res.Format)
		for _, e := range res.Entries {
			if err := w.Write(e); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		again, err := csv.Read(context.Background(), &buf, csv.Config{Format: res.Format})
		if err != nil {
			t.Fatalf("reading back what Writer wrote: %v\n%q", err, buf.String())
		}
		a, b := mapped(res.Entries), mapped(again.Entries)
		if len(a) != len(b) {
			t.Fatalf("round trip: %d entries, then %d", len(a), len(b))
		}
		for i := range a {
			if !equalEntry(a[i], b[i]) {
				t.Fatalf("round trip changed entry %d:\n%+v\n%+v", i, a[i], b[i])
			}
		}
	})
}

package csv_test

import (
	"bytes"
	"context"
	stdcsv "encoding/csv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/directory/csv"
)

func TestNeutralize(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"", ""},
		{"Ada", "Ada"},
		{"=1+1", "'=1+1"},
		{"+371 2000000", "'+371 2000000"},
		{"-2", "'-2"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"a=b", "a=b"},
		{"'=x", "'=x"},
		{`=HYPERLINK("http://evil.test","click")`, `'=HYPERLINK("http://evil.test","click")`},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, csv.Neutralize(tc.in), "%q", tc.in)
	}
}

// TestWriterNoFormulaCells checks every cell the Writer produces, parsed
// back with encoding/csv, never starts a formula.
func TestWriterNoFormulaCells(t *testing.T) {
	t.Parallel()
	evil := []string{"=cmd|' /C calc'!A0", "+1", "-1", "@x", "\tx", "\rx", "=", "ok"}
	for _, f := range []csv.Format{csv.FormatPureSync, csv.FormatNotakey} {
		t.Run(f.String(), func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			w := csv.NewWriter(&buf, f)
			for _, v := range evil {
				require.NoError(t, w.Write(directory.Entry{
					Username: v, FullName: v, CorporateEmail: v, PersonalEmail: v, Phone: v,
					Groups: []string{v, "g"}, Roles: []string{v}, Enabled: true, PasswordHash: "{SSHA}secret",
				}))
			}
			require.NoError(t, w.Flush())
			assert.NotContains(t, buf.String(), "{SSHA}secret", "hashes are never exported")
			assert.True(t, strings.HasSuffix(buf.String(), "\r\n"))
			recs, err := stdcsv.NewReader(&buf).ReadAll()
			require.NoError(t, err)
			require.Len(t, recs, len(evil)+1)
			assert.Equal(t, csv.Columns(f), recs[0])
			for _, rec := range recs[1:] {
				for _, cell := range rec {
					if cell != "" {
						assert.NotContains(t, "=+-@\t\r", cell[:1], "cell %q starts a formula", cell)
					}
				}
			}
		})
	}
}

func TestWriterRoundTrip(t *testing.T) {
	t.Parallel()
	in := []directory.Entry{
		{Username: "ada@example.test", ExternalID: "ada@example.test", CorporateEmail: "ada@example.test", FullName: "=Ada", PersonalEmail: "ada@home.test",
			Phone: "+44 20 7946 0000", Groups: []string{"eng", "-ops"}, Roles: []string{"@lead"}, Enabled: true},
		{Username: "bob@example.test", ExternalID: "bob@example.test", CorporateEmail: "bob@example.test", FullName: "Bob, \"the\" Builder", Enabled: true},
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf, csv.FormatAuto)
	for _, e := range in {
		require.NoError(t, w.Write(e))
	}
	require.NoError(t, w.Flush())
	res, err := csv.Read(context.Background(), &buf, csv.Config{})
	require.NoError(t, err)
	assert.Equal(t, mapped(in), mapped(res.Entries))
}

func TestWriteTemplate(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	require.NoError(t, csv.WriteTemplate(&buf))
	assert.Equal(t, "Full Name,Personal Email,Corporate Email,Phone Number,groups,roles\r\n", buf.String())
	res, err := csv.Read(context.Background(), &buf, csv.Config{})
	require.NoError(t, err, "the template reads as an empty PureSync file")
	assert.Equal(t, csv.FormatPureSync, res.Format)
	assert.Empty(t, res.Entries)
}

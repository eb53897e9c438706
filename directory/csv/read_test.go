package csv_test

// Column layouts follow the issue text and the public descriptions of the
// two products:
//   - PureSync (PureAUTH): https://docs.pureauth.io/docs/getting-started-with-pureauth/user-on-boarding/
//     lists Corporate Email, Phone Number, Full Name and a personal (primary)
//     e-mail as the user details a CSV source provides; groups and roles
//     are the two further mapped attributes (https://docs.pureauth.io/?p=216).
//   - Notakey user import (Username, Full name, Email, Phone, Password,
//     Teams, Enabled): no public page was found with the `search` tool; the
//     layout is the one given in issue 4.
// Spreadsheet-formula neutralizing follows OWASP's CSV injection guidance
// (= + - @ tab CR, prefixed with a single quote).

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/directory/csv"
	"github.com/usher-sdk/usher/hasher"
)

// testRegistry is a registry whose default is cheap, for tests.
func testRegistry(t testing.TB) *hasher.Registry {
	t.Helper()
	reg, err := hasher.NewRegistry("ldap-ssha256", hasher.Config{Legacy: hasher.LegacyParams{SHACryptRounds: 1000}})
	require.NoError(t, err)
	return reg
}

const pureSyncFile = "\uFEFFFull Name,Personal Email,Corporate Email,Phone Number,groups,roles\r\n" +
	"Ada Lovelace,ada@home.test,ada@example.test,+44 20 7946 0000,\"eng, admins\",manager\r\n" +
	"\"Grace \"\"Amazing\"\" Hopper\",,grace@example.test,,,\r\n" +
	",,,,,\r\n"

func TestReadPureSync(t *testing.T) {
	t.Parallel()
	res, err := csv.Read(context.Background(), strings.NewReader(pureSyncFile), csv.Config{Name: "hr"})
	require.NoError(t, err)
	assert.Equal(t, csv.FormatPureSync, res.Format)
	require.Len(t, res.Entries, 2)
	ada := res.Entries[0]
	assert.Equal(t, "hr", ada.Source)
	assert.Equal(t, "Ada Lovelace", ada.FullName)
	assert.Equal(t, "ada@example.test", ada.CorporateEmail)
	assert.Equal(t, "ada@example.test", ada.Username)
	assert.Equal(t, "ada@example.test", ada.ExternalID)
	assert.Equal(t, "ada@home.test", ada.PersonalEmail)
	assert.Equal(t, "+44 20 7946 0000", ada.Phone)
	assert.Equal(t, []string{"eng", "admins"}, ada.Groups)
	assert.Equal(t, []string{"manager"}, ada.Roles)
	assert.True(t, ada.Enabled)
	assert.Equal(t, []string{"ada@example.test"}, ada.Raw["Corporate Email"])
	assert.Equal(t, `Grace "Amazing" Hopper`, res.Entries[1].FullName)
	assert.Nil(t, res.Entries[1].Groups)
}

func TestReadNotakey(t *testing.T) {
	t.Parallel()
	reg := testRegistry(t)
	existing, err := hasher.NewRegistry("sha512-crypt", hasher.Config{Legacy: hasher.LegacyParams{SHACryptRounds: 1000}})
	require.NoError(t, err)
	stored, err := existing.Hash(context.Background(), "s3cret")
	require.NoError(t, err)

	file := "Username,Full name,Email,Phone,Password,Teams,Enabled\n" +
		"ada,Ada Lovelace,ada@example.test,+3712000000,plain-pw,eng|ops| eng ,YES\n" +
		"grace,Grace Hopper,,,\"" + stored + "\",,0\n" +
		"linus,Linus,,,,,\n"
	res, err := csv.Read(context.Background(), strings.NewReader(file), csv.Config{}, csv.WithHasher(reg))
	require.NoError(t, err)
	assert.Equal(t, csv.FormatNotakey, res.Format)
	require.Len(t, res.Entries, 3)

	ada := res.Entries[0]
	assert.Equal(t, "ada", ada.Username)
	assert.Equal(t, "ada", ada.ExternalID)
	assert.Equal(t, "csv", ada.Source)
	assert.Equal(t, []string{"eng", "ops"}, ada.Groups)
	assert.True(t, ada.Enabled)
	assert.NotContains(t, ada.PasswordHash, "plain-pw")
	match, _, err := reg.Verify(context.Background(), "plain-pw", ada.PasswordHash)
	require.NoError(t, err)
	assert.True(t, match, "plain text is hashed with the registry's default")
	_, hasPw := ada.Raw["Password"]
	assert.False(t, hasPw, "the password never reaches Raw")

	grace := res.Entries[1]
	assert.Equal(t, stored, grace.PasswordHash, "a recognised hash is kept as is")
	assert.False(t, grace.Enabled)
	assert.Empty(t, res.Entries[2].PasswordHash)
	assert.False(t, res.Entries[2].Enabled, "an empty Enabled cell is false")
}

func TestReadNotakeyEnabled(t *testing.T) {
	t.Parallel()
	cases := map[string]bool{
		"true": true, "TRUE": true, "t": true, "T": true, "yes": true, "Yes": true, "y": true, "Y": true, "1": true,
		" y ": true, "false": false, "0": false, "no": false, "": false, "on": false, "enabled": false, "2": false,
	}
	for v, want := range cases {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			res, err := csv.Read(context.Background(), strings.NewReader("Username,Enabled\nu,"+v+"\n"), csv.Config{})
			require.NoError(t, err)
			require.Len(t, res.Entries, 1)
			assert.Equal(t, want, res.Entries[0].Enabled)
		})
	}
	res, err := csv.Read(context.Background(), strings.NewReader("Username\nu\n"), csv.Config{})
	require.NoError(t, err)
	assert.True(t, res.Entries[0].Enabled, "no Enabled column: enabled")
}

func TestReadBadRows(t *testing.T) {
	t.Parallel()
	file := "Full Name,Personal Email,Corporate Email,Phone Number,groups,roles\r\n" +
		"Ada,,ada@example.test,,,\r\n" + // line 2 good
		"Bob,,not-an-email,,,\r\n" + // line 3
		"Carl,,carl@example.test,call me,,\r\n" + // line 4
		"Dora,,dora@example.test\r\n" + // line 5: too few fields
		",,,,,\r\n" + // line 6: blank, skipped
		"\"Eve\nMallory\",,eve@example.test,,,\r\n" + // lines 7-8: newline in a cell
		"Ada Again,,ADA@example.test,,,\r\n" + // line 9: duplicate
		"Fay,bad,,,,\r\n" // line 10: two problems

	_, err := csv.Read(context.Background(), strings.NewReader(file), csv.Config{})
	var ie *csv.ImportError
	require.ErrorAs(t, err, &ie)
	lines := make([]int, len(ie.Rows))
	for i, r := range ie.Rows {
		lines[i] = r.Line
	}
	assert.Equal(t, []int{3, 4, 5, 7, 9, 10}, lines)
	assert.Contains(t, ie.Rows[0].Reason, "not an e-mail address")
	assert.Contains(t, ie.Rows[2].Reason, "has 3 fields, the header has 6")
	assert.Contains(t, ie.Rows[4].Reason, "first on line 2")
	assert.Contains(t, ie.Rows[5].Reason, "Corporate Email")
	assert.Contains(t, ie.Rows[5].Reason, "Personal Email")
	var re *csv.RowError
	require.ErrorAs(t, err, &re, "errors.As finds the rows through ImportError")
	assert.Contains(t, err.Error(), "6 bad row(s)")

	res, err := csv.Read(context.Background(), strings.NewReader(file), csv.Config{SkipBadRows: true})
	require.NoError(t, err)
	require.Len(t, res.Entries, 1)
	assert.Equal(t, "ada@example.test", res.Entries[0].CorporateEmail)
	assert.Len(t, res.Skipped, 6)
}

func TestReadHeaderErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, file string
		cfg        csv.Config
		want       string
		unknown    bool
	}{
		{name: "empty", file: "", want: "empty file", unknown: true},
		{name: "unknown", file: "a,b,c\n1,2,3\n", want: "neither", unknown: true},
		{name: "both", file: "Username,Corporate Email\nx,y\n", want: "both", unknown: true},
		{name: "duplicate", file: "Username,username\nx,y\n", want: "duplicate column"},
		{name: "missing", file: "Corporate Email\nx@y.test\n", want: `missing required column "full name"`},
		{name: "forced format", file: "Username\nx\n", cfg: csv.Config{Format: csv.FormatPureSync}, want: "missing required column"},
		{name: "bare quote in header", file: "Use\"rname\nx\n", want: "malformed CSV"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := csv.Read(context.Background(), strings.NewReader(tc.file), tc.cfg)
			var ie *csv.ImportError
			require.ErrorAs(t, err, &ie)
			require.Len(t, ie.Rows, 1)
			assert.Equal(t, 1, ie.Rows[0].Line)
			assert.Contains(t, ie.Rows[0].Reason, tc.want)
			assert.Equal(t, tc.unknown, errors.Is(err, csv.ErrUnknownFormat))
		})
	}
}

func TestReadPasswordWithoutHasher(t *testing.T) {
	t.Parallel()
	_, err := csv.Read(context.Background(), strings.NewReader("Username,Password\nu,hunter2\n"), csv.Config{})
	var ie *csv.ImportError
	require.ErrorAs(t, err, &ie)
	assert.Contains(t, ie.Rows[0].Reason, "no hasher")
	assert.NotContains(t, err.Error(), "hunter2", "a password is never echoed")
}

func TestReadControlCharacters(t *testing.T) {
	t.Parallel()
	_, err := csv.Read(context.Background(), strings.NewReader("Username,Full name\nu,a\x00b\nv,\xff\n"), csv.Config{})
	var ie *csv.ImportError
	require.ErrorAs(t, err, &ie)
	require.Len(t, ie.Rows, 2)
	assert.Contains(t, ie.Rows[0].Reason, "control characters")
	assert.Contains(t, ie.Rows[1].Reason, "UTF-8")
}

func TestReadLimits(t *testing.T) {
	t.Parallel()
	_, err := csv.Read(context.Background(), strings.NewReader(pureSyncFile), csv.Config{MaxBytes: 10})
	require.ErrorIs(t, err, csv.ErrTooLarge)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = csv.Read(ctx, strings.NewReader(pureSyncFile), csv.Config{})
	require.ErrorIs(t, err, context.Canceled)
}

func TestReadUnneutralizes(t *testing.T) {
	t.Parallel()
	res, err := csv.Read(context.Background(), strings.NewReader("Username,Full name,Phone\nu,'=SUM(A1),'+371 2000000\n"), csv.Config{})
	require.NoError(t, err)
	assert.Equal(t, "=SUM(A1)", res.Entries[0].FullName)
	assert.Equal(t, "+371 2000000", res.Entries[0].Phone)
}

// entriesEqual compares the mapped fields of two entry lists.
func mapped(es []directory.Entry) []directory.Entry {
	out := make([]directory.Entry, len(es))
	for i, e := range es {
		e.Raw, e.Source, e.PasswordHash = nil, "", ""
		out[i] = e
	}
	return out
}

func equalEntry(a, b directory.Entry) bool {
	eq := func(x, y []string) bool {
		return strings.Join(x, "\x00") == strings.Join(y, "\x00") && len(x) == len(y)
	}
	return a.Username == b.Username && a.ExternalID == b.ExternalID && a.FullName == b.FullName &&
		a.CorporateEmail == b.CorporateEmail && a.PersonalEmail == b.PersonalEmail && a.Phone == b.Phone &&
		a.Enabled == b.Enabled && eq(a.Groups, b.Groups) && eq(a.Roles, b.Roles)
}

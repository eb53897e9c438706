package userstore

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseMailText(t *testing.T) {
	lit := func(s string) segment { return segment{segLiteral, s} }
	lab := func(s string) segment { return segment{segLabel, s} }
	fld := func(s string) segment { return segment{segField, s} }
	tests := []struct {
		in      string
		want    mailText
		wantErr string
	}{
		{"", nil, ""},
		{"plain text", mailText{lit("plain text")}, ""},
		{"[[greeting]] {{.Username}}!", mailText{lab("greeting"), lit(" "), fld("Username"), lit("!")}, ""},
		{"{{ .Username }}[[ a.b-c_1 ]]", mailText{fld("Username"), lab("a.b-c_1")}, ""},
		{"single [ and { and ] } stay", mailText{lit("single [ and { and ] } stay")}, ""},
		{"a [[x]]]] b", mailText{lit("a "), lab("x"), lit("]] b")}, ""},
		{"x }}", mailText{lit("x }}")}, ""},
		{"[[unclosed", nil, "[[ at byte 0 is not closed by ]]"},
		{"ok {{.A", nil, "{{ at byte 3 is not closed by }}"},
		{"[[]]", nil, "bad label name"},
		{"[[two words]]", nil, "bad label name"},
		{"[[" + strings.Repeat("a", 65) + "]]", nil, "bad label name"},
		{"[[[x]]", nil, "bad label name"},
		{"{{Username}}", nil, "bad placeholder"},
		{"{{.1st}}", nil, "bad placeholder"},
		{"{{.A.B}}", nil, "bad placeholder"},
		{"{{.Username | html}}", nil, "bad placeholder"},
		{"bad \xff", nil, "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseMailText(tt.in)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestCultureChain(t *testing.T) {
	tests := map[string][]string{
		"de-CH":      {"de-ch", "de", ""},
		"zh_Hant_TW": {"zh-hant-tw", "zh-hant", "zh", ""},
		"":           {""},
		"default":    {""},
		"en":         {"en", ""},
	}
	for in, want := range tests {
		assert.Equal(t, want, cultureChain(in), in)
	}
}

func TestRenderValuesNotExpanded(t *testing.T) {
	lt, err := parseTemplate("test", MailTemplate{
		Subject: "{{.Username}}",
		Body:    "[[hi]] {{.DisplayName}}",
		Labels:  map[string]map[string]string{"": {"hi": "Hi {{.Username}}"}},
	}, MailTemplate{}, userFields)
	require.NoError(t, err)
	subject, body := lt.render("", map[string]string{"Username": "[[hi]]\r\n{{.DisplayName}}", "DisplayName": "{{.Username}}"})
	assert.Equal(t, "[[hi]] {{.DisplayName}}", subject)
	assert.Equal(t, "Hi [[hi]]\r\n{{.DisplayName}} {{.Username}}", body)
}

// FuzzParseMailText checks the template parser on any input: it never
// panics, accepts only valid UTF-8, and what it accepts writes back to a
// text that parses to the same segments; rendering with every label and
// field empty leaves exactly the literal text.
func FuzzParseMailText(f *testing.F) {
	for _, s := range []string{
		"", "plain", "[[greeting]] {{.Username}}", "{{ .A }}[[b]]", "[[unclosed", "{{.A", "[[[x]]",
		"a [[x]]]] b", "{{{.A}}}", "[[ä]]", "[[a]][[b]]{{.C}}{{.D}}", "}}]]{{", "\xff[[a]]",
		"Sehr geehrte*r [[anrede]] {{.FamilyName}},\n\n[[text]]\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		mt, err := parseMailText(s)
		if err != nil {
			return
		}
		if !utf8.ValidString(s) {
			t.Fatalf("accepted invalid UTF-8 %q", s)
		}
		again, err := parseMailText(mt.String())
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", mt.String(), s, err)
		}
		if len(again) != len(mt) {
			t.Fatalf("round trip of %q: %v != %v", s, again, mt)
		}
		var lits strings.Builder
		for i := range mt {
			if mt[i] != again[i] {
				t.Fatalf("round trip of %q: segment %d %v != %v", s, i, again[i], mt[i])
			}
			switch mt[i].kind {
			case segLiteral:
				if mt[i].text == "" || indexMark(mt[i].text) >= 0 {
					t.Fatalf("literal %q holds a mark or is empty", mt[i].text)
				}
				lits.WriteString(mt[i].text)
			case segLabel:
				if !validLabelName(mt[i].text) {
					t.Fatalf("bad label name %q accepted", mt[i].text)
				}
			case segField:
				if !validFieldName(mt[i].text) {
					t.Fatalf("bad field name %q accepted", mt[i].text)
				}
			}
		}
		var b strings.Builder
		mt.render(&b, func(string) (mailText, bool) { return nil, true }, nil)
		if b.String() != lits.String() {
			t.Fatalf("render with empty values = %q, want the literals %q", b.String(), lits.String())
		}
	})
}

package sms

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	ok := []struct{ in, region, want string }{
		{"+44 7700 900123", "", "+447700900123"},
		{"+1 (212) 555-0100", "", "+12125550100"},
		{"+371.2612.3456", "+1", "+37126123456"},
		{"07700 900123", "+44", "+447700900123"},
		{"07700-900-123", "44", "+447700900123"},
		{"(212) 555-0100", "+1", "+12125550100"},
		{"1 212 555 0100", "+1", "+12125550100"},
		{"8 912 345 67 89", "+7", "+79123456789"},
		{"06 12345678", "+31", "+31612345678"},
		{"02 1234 5678", "+39", "+390212345678"},
		{"  +4915112345678  ", "", "+4915112345678"},
		{"+123456789012345", "", "+123456789012345"},
		{"+44 (0)20 7946 0000", "", "+442079460000"},
		{"+44 (0) 7700 900123", "+1", "+447700900123"},
		{"+1 (212) 555-0100", "+44", "+12125550100"},
	}
	for _, tc := range ok {
		t.Run(tc.in, func(t *testing.T) {
			got, err := Normalize(tc.in, tc.region)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	bad := []struct{ in, region string }{
		{"", "+44"},
		{"+", ""},
		{"+44 7700 900123 x12", ""},
		{"1-800-FLOWERS", "+1"},
		{"+44+7700900123", ""},
		{"+0 123456789", ""},
		{"+1234567", ""},
		{"+1234567890123456", ""},
		{"0044 7700 900123", "+44"},
		{"011 44 7700 900123", "+1"},
		{"+44 (7700 900123", ""},
		{"+44 7700) 900123", ""},
		{"+44 ((7700)) 900123", ""},
		{"+44\n7700900123", ""},
		{"+４４7700900123", ""},
		{"07700 900123", "+4x"},
		{"07700 900123", "+0"},
		{"07700 900123", "+1234"},
		{strings.Repeat("1", 65), "+1"},
	}
	for _, tc := range bad {
		t.Run("bad/"+tc.in, func(t *testing.T) {
			_, err := Normalize(tc.in, tc.region)
			assert.ErrorIs(t, err, ErrInvalidPhone)
		})
	}
	_, err := Normalize("07700 900123", "")
	assert.ErrorIs(t, err, ErrNoDefaultRegion)
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"+44 7700 900123", "(212) 555-0100", "0044", "+", "1-800-FLOWERS", "+1 (2"} {
		f.Add(s, "+44")
		f.Add(s, "+1")
	}
	f.Fuzz(func(t *testing.T, in, region string) {
		got, err := Normalize(in, region)
		if err != nil {
			return
		}
		if !strings.HasPrefix(got, "+") || len(got) < MinDigits+1 || len(got) > MaxDigits+1 {
			t.Fatalf("Normalize(%q, %q) = %q: not E.164", in, region, got)
		}
		for _, c := range got[1:] {
			if c < '0' || c > '9' {
				t.Fatalf("Normalize(%q, %q) = %q: non-digit", in, region, got)
			}
		}
		if got[1] == '0' {
			t.Fatalf("Normalize(%q, %q) = %q: leading 0", in, region, got)
		}
		again, err := Normalize(got, "")
		if err != nil || again != got {
			t.Fatalf("Normalize(%q) = %q, %v: not idempotent", got, again, err)
		}
	})
}

func TestEqual(t *testing.T) {
	t.Parallel()
	assert.True(t, Equal("07700 900123", "+44 7700-900-123", "+44"))
	assert.True(t, Equal("+447700900123", "+447700900123", ""))
	assert.False(t, Equal("07700 900123", "+44 7700 900124", "+44"))
	assert.False(t, Equal("07700 900123", "07700 900123", ""), "neither normalises")
	assert.False(t, Equal("junk", "junk", "+44"))
}

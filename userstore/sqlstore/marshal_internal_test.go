package sqlstore

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// marshalMap writes exactly what json.Marshal writes for the same map.
func TestMarshalMapIsJSONMarshal(t *testing.T) {
	for _, m := range []map[string]string{
		nil,
		{},
		{"sync.signature": "eyJhbGciOiJFZERTQSJ9.e30.c2ln~3~AAAA", "personal.email": "a@b.test"},
		{"z": "", "a": "1", "m": "quote \" backslash \\ slash /"},
		{"html": "<b>&amp;</b>", "ctl": "tab\tnl\n\x00\x1f\x7f", "uni": "Zoë \u2028 \u2029 ☃", "bad": "\xff\xfe"},
	} {
		want, err := json.Marshal(m)
		assert.NoError(t, err)
		assert.Equal(t, string(want), marshalMap(m))
	}
}

func FuzzMarshalMap(f *testing.F) {
	f.Add("k", "v", "k2", "<&>\"\\\x00\xff")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		m := map[string]string{k1: v1, k2: v2}
		want, _ := json.Marshal(m)
		if got := marshalMap(m); got != string(want) {
			t.Fatalf("marshalMap(%q) = %s, json.Marshal %s", m, got, want)
		}
	})
}

// unmarshalMap and unmarshalStrings give exactly what json.Unmarshal
// gives, by their own path or by falling back to it.
func TestUnmarshalIsJSONUnmarshal(t *testing.T) {
	for _, s := range unmarshalSeeds {
		assertUnmarshalsAsJSON(t, s)
	}
}

// unmarshalSeeds are plain JSON, JSON that needs json.Unmarshal (escapes,
// spaces, non-ASCII) and what is not JSON of strings at all.
var unmarshalSeeds = []string{
	`null`, `{}`, `[]`, `{"a":"1"}`, `["a","b"]`, `{"a":"1","a":"2"}`, `{"":""}`, `[""]`,
	`{"sync.signature":"eyJhbGciOiJFZERTQSJ9.e30.c2ln~3~AAAA","personal.email":"a@b.test","roles":"x,y"}`,
	`{"a":"\u003cb\u003e"}`, `["\"q\""]`, `{"a":"Zoë"}`, `{"a":"\xff"}`, `{ "a" : "1" }`, ` null`, `null `,
	`{"a":"1",}`, `["a",]`, `{"a":"1"`, `{"a"}`, `{"a":1}`, `{"a":null}`, `[null]`, `["a" "b"]`, `{,}`, `[,]`,
	`{"a":"1"}x`, `{"a":"1"}{}`, `""`, `{`, `[`, `}`, ``, `{"a":"tab	"}`, `{"a":"1"},`, `{"a":"1","b"}`,
}

func assertUnmarshalsAsJSON(t *testing.T, s string) {
	t.Helper()
	assertDecodesAsJSON(t, "map", s, unmarshalMap)
	assertDecodesAsJSON(t, "list", s, unmarshalStrings)
}

// assertDecodesAsJSON checks decode(s) against json.Unmarshal into a T:
// an error where it fails, else the same value, nil where it is nil.
func assertDecodesAsJSON[T any](t *testing.T, kind, s string, decode func(string) (T, error)) {
	t.Helper()
	var want T
	wantErr := json.Unmarshal([]byte(s), &want)
	got, err := decode(s)
	if wantErr != nil {
		assert.Error(t, err, "%s %q", kind, s)
	} else if assert.NoError(t, err, "%s %q", kind, s) {
		assert.Equal(t, reflect.ValueOf(want).IsNil(), reflect.ValueOf(got).IsNil(), "%s %q: nil", kind, s)
		assert.Equal(t, want, got, "%s %q", kind, s)
	}
}

// What the store reads back is outside input to the decoder: a database
// another program wrote, or one damaged.
func FuzzUnmarshal(f *testing.F) {
	for _, s := range unmarshalSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		assertUnmarshalsAsJSON(t, s)
	})
}

// A sync's user's attributes, decoded here and by json.Unmarshal.
func BenchmarkUnmarshalMap(b *testing.B) {
	s := marshalMap(map[string]string{
		"sync.signature": "eyJhbGciOiJFZERTQSIsImtpZCI6InN5bmMtMjAyNiJ9..bXlzaWduYXR1cmVieXRlc2hlcmVfX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX18",
		"personal.email": "alice.private@example.test",
		"roles":          "staff,vpn",
	})
	b.Run("unmarshalMap", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := unmarshalMap(s); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var m map[string]string
			if err := json.Unmarshal([]byte(s), &m); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// An object of a hundred thousand duplicate members, which ends in an
// escape the plain path refuses, does not size a map for all of them.
func TestSizeHintIsBounded(t *testing.T) {
	body := strings.Repeat(`"a":"1",`, 100_000) + `"b":"\u00e9"`
	assert.Equal(t, 16, sizeHint(body, `":"`))
	assert.Equal(t, 2, sizeHint(`"a":"1","b":"2"`, `":"`))
	m, err := unmarshalMap("{" + body + "}")
	assert.NoError(t, err)
	assert.Equal(t, map[string]string{"a": "1", "b": "é"}, m)
}

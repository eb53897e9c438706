package sqlstore

import (
	"encoding/json"
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

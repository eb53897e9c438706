package syncapi

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
)

// jsonDecode is the handler's decoding before decodeChanges, written out
// again here so that the tests do not trust decodeChangesJSON.
func jsonDecode(body []byte) ([]wireChange, error) {
	var v struct {
		Changes []wireChange `json:"changes"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(&v)
	return v.Changes, err
}

// agree checks decodeChanges against encoding/json on body: the same
// changes (reflect.DeepEqual, so nil and empty slices differ) or the same
// error. It checks the fast path alone too, which must never take a body
// encoding/json refuses, and reports whether it took this one.
func agree(t testing.TB, body []byte) (fast bool) {
	t.Helper()
	want, wantErr := jsonDecode(body)
	got, err := decodeChanges(bytes.NewReader(body), -1)
	if wantErr != nil {
		require.EqualError(t, err, wantErr.Error())
	} else {
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	quick, ok := parseChanges(body)
	if ok {
		require.NoError(t, wantErr, "the fast path took a body that encoding/json refuses")
		require.Equal(t, want, quick, "the fast path")
	}
	return ok
}

// agentBody is a POST /changes body as the agent writes it (Client.push):
// n records signed with SignBatch, the odd ones updates with a before, in
// toWire's shape.
func agentBody(t testing.TB, n int) []byte {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	signer, err := directory.NewRecordSigner(priv)
	require.NoError(t, err)
	records := make([]directory.Record, n)
	for i := range records {
		records[i] = directory.RecordOf(directory.Entry{Source: "ldap", ExternalID: fmt.Sprintf("guid-%d", i),
			Username: fmt.Sprintf("user%d", i), FullName: fmt.Sprintf("Zoë Müller-<%d> & co", i),
			CorporateEmail: fmt.Sprintf("user%d@example.test", i), Phone: "+33 1 23 45 67 89",
			Groups: []string{"R&D", "staff", "日本"}, Enabled: i%3 != 0})
	}
	sigs, err := signer.SignBatch(records)
	require.NoError(t, err)
	var body struct {
		Changes []wireChange `json:"changes"`
	}
	for i, r := range records {
		c := directory.SignedChange{Change: directory.SyncChange{Kind: directory.SyncAdd, Record: r}, Signature: sigs[i]}
		if i%2 == 1 {
			c.Change.Kind, c.Change.Before, c.Change.Fields = directory.SyncUpdate, directory.Record{Source: "ldap", Username: "old"}, []string{"fullName", "phone"}
			c.Change.Gone = i%4 == 1
		}
		body.Changes = append(body.Changes, toWire(c))
	}
	out, err := json.Marshal(body)
	require.NoError(t, err)
	return out
}

// decodeCases are the edge cases of the tests and the fuzz target's seeds;
// fast tells whether the fast path takes the body.
var decodeCases = []struct {
	name, body string
	fast       bool
}{
	{"minimal", `{"changes":[{"kind":"add","record":{"source":"ldap","externalId":"1"},"signature":"s"}]}`, true},
	{"every field", `{"changes":[{"kind":"update","record":{"source":"s","externalId":"e","username":"u","fullName":"f","corporateEmail":"c","personalEmail":"p","phone":"1","groups":["a","b"],"roles":["r"],"enabled":true},"before":{"enabled":false,"groups":[]},"fields":["phone"],"gone":true,"signature":"x.y~0"}]}`, true},
	{"keys in another order", `{"changes":[{"signature":"s","gone":false,"record":{"enabled":true,"source":"s"},"kind":"add"}]}`, true},
	{"space everywhere", " \t\r\n{ \"changes\" :\n[ { \"kind\" : \"add\" , \"record\" : { \"groups\" : [ \"a\" , \"b\" ] , \"enabled\" : true } , \"fields\" : [ ] } , null ] } ", true},
	{"escapes", `{"changes":[{"kind":"\"\\\/\b\f\n\r\t","signature":"\u00e9\u0026\u003c\u2028\u0000\uFFFF"}]}`, true},
	{"raw unicode", `{"changes":[{"kind":"Zoë 日本 😀","record":{"groups":["é"]}}]}`, true},
	{"delete character", "{\"changes\":[{\"kind\":\"a\x7fb\"}]}", true},
	{"surrogate pair", `{"changes":[{"kind":"\ud83d\ude00"}]}`, false},
	{"lone surrogate", `{"changes":[{"kind":"a\ud800b"}]}`, false},
	{"invalid UTF-8", "{\"changes\":[{\"kind\":\"a\xffb\"}]}", false},
	{"UTF-8 surrogate", "{\"changes\":[{\"kind\":\"\xed\xa0\x80\"}]}", false},
	{"nulls", `{"changes":[{"kind":null,"record":null,"before":null,"fields":null,"gone":null,"signature":null},null]}`, true},
	{"null record fields", `{"changes":[{"record":{"source":null,"groups":null,"roles":null,"enabled":null}}]}`, true},
	{"null in a string array", `{"changes":[{"fields":["a",null,"b"]}]}`, true},
	{"null changes", `{"changes":null}`, true},
	{"empty changes", `{"changes":[]}`, true},
	{"empty object", `{}`, true},
	{"empty before", `{"changes":[{"before":{}}]}`, true},
	{"empty element", `{"changes":[{}]}`, true},
	{"unknown top-level field", `{"changes":[],"extra":1}`, false},
	{"unknown change field", `{"changes":[{"kind":"add","error":"x"}]}`, false},
	{"unknown record field", `{"changes":[{"record":{"password":"x"}}]}`, false},
	{"duplicate changes", `{"changes":[{"kind":"add","gone":true}],"changes":[{"kind":"update"}]}`, false},
	{"duplicate change field", `{"changes":[{"kind":"add","kind":"update"}]}`, false},
	{"duplicate before", `{"changes":[{"before":{"source":"a"},"before":{"phone":"1"}}]}`, false},
	{"duplicate record field", `{"changes":[{"record":{"groups":["a","b"],"groups":["c"]}}]}`, false},
	{"wrong-case keys", `{"Changes":[{"KIND":"add","Record":{"externalid":"1","Enabled":true}}]}`, false},
	{"Kelvin sign key", "{\"changes\":[{\"\xe2\x84\xaaind\":\"add\"}]}", false},
	{"escaped key", `{"changes":[{"\u006bind":"add"}]}`, false},
	{"number for a string", `{"changes":[{"kind":1}]}`, false},
	{"string for a bool", `{"changes":[{"gone":"true"}]}`, false},
	{"object for an array", `{"changes":{}}`, false},
	{"string for a record", `{"changes":[{"record":"x"}]}`, false},
	{"bool for an element", `{"changes":[true]}`, false},
	{"trailing garbage", `{"changes":[{"kind":"add"}]} garbage ] {`, true},
	{"trailing value", `{"changes":[{"kind":"add"}]}{"changes":[]}`, true},
	{"trailing invalid UTF-8", "{\"changes\":[]}\xff\xfe", true},
	{"truncated", `{"changes":[{"kind":"add","record":{"sou`, false},
	{"truncated after the value's last element", `{"changes":[{"kind":"add"}]`, false},
	{"empty body", ``, false},
	{"only space", " \n\t ", false},
	{"top-level null", `null`, false},
	{"top-level array", `[{"kind":"add"}]`, false},
	{"control character in a string", "{\"changes\":[{\"kind\":\"a\tb\"}]}", false},
	{"bad escape", `{"changes":[{"kind":"\x41"}]}`, false},
	{"short unicode escape", `{"changes":[{"kind":"\u12"}]}`, false},
	{"misspelt literal", `{"changes":[{"gone":truex}]}`, false},
	{"misspelt null", `{"changes":[{"gone":nul}]}`, false},
	{"missing comma", `{"changes":[{"kind":"add" "gone":true}]}`, false},
	{"trailing comma", `{"changes":[{"kind":"add"},]}`, false},
	{"byte order mark", "\xef\xbb\xbf{\"changes\":[]}", false},
	{"syntax error after an unknown field", `{"changes":[{"x":1}],}`, false},
}

func TestDecodeChangesAgreesWithEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, tc := range decodeCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.fast, agree(t, []byte(tc.body)), "fast path taken")
		})
	}
}

func TestDecodeChangesAgentBodiesTakeTheFastPath(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 2, 7, 64} {
		body := agentBody(t, n)
		require.True(t, agree(t, body), "%d changes", n)
		got, err := decodeChanges(bytes.NewReader(body), -1)
		require.NoError(t, err)
		require.Len(t, got, n)
		if n > 1 {
			assert.Equal(t, []string{"fullName", "phone"}, got[1].Fields)
			assert.Equal(t, "old", got[1].Before.Username)
			assert.Nil(t, got[0].Before, "an add has no before")
		}
	}
}

func TestDecodeChangesValues(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body string
		want       []wireChange
	}{
		{"nil for null or absent slices", `{"changes":[{"fields":null,"record":{"groups":null}}]}`, []wireChange{{}}},
		{"empty for []", `{"changes":[{"fields":[],"record":{"groups":[],"roles":[]}}]}`,
			[]wireChange{{Fields: []string{}, Record: directory.Record{Groups: []string{}, Roles: []string{}}}}},
		{"a before of {} is not nil", `{"changes":[{"before":{}}]}`, []wireChange{{Before: &directory.Record{}}}},
		{"null elements are zero", `{"changes":[null,{"fields":[null]}]}`, []wireChange{{}, {Fields: []string{""}}}},
		{"escapes", `{"changes":[{"kind":"R\u0026D \"x\"\n","signature":"\/"}]}`, []wireChange{{Kind: "R&D \"x\"\n", Signature: "/"}}},
		{"invalid UTF-8 becomes U+FFFD", "{\"changes\":[{\"kind\":\"a\xffb\\ud800\"}]}", []wireChange{{Kind: "a\uFFFDb\uFFFD"}}},
		{"the last of duplicate keys", `{"changes":[{"kind":"add","kind":"update"}]}`, []wireChange{{Kind: "update"}}},
		{"case-insensitive keys", `{"CHANGES":[{"Kind":"add"}]}`, []wireChange{{Kind: "add"}}},
		{"trailing data ignored", `{"changes":[{"kind":"add"}]}]]`, []wireChange{{Kind: "add"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := decodeChanges(strings.NewReader(tc.body), -1)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestDecodeChangesErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, body, want string }{
		{"unknown field", `{"changes":[{"kind":"add","extra":1}]}`, `json: unknown field "extra"`},
		{"number for a string", `{"changes":[{"kind":1}]}`, "json: cannot unmarshal number into Go struct field wireChange.changes.kind of type directory.SyncKind"},
		{"truncated", `{"changes":[`, "unexpected EOF"},
		{"empty", ``, "EOF"},
		{"syntax", `{"changes":[}`, "invalid character '}' looking for beginning of value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := decodeChanges(strings.NewReader(tc.body), -1)
			assert.EqualError(t, err, tc.want)
		})
	}
}

// failingReader returns data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(b []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(b, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestDecodeChangesReadErrorGoesToEncodingJSON(t *testing.T) {
	t.Parallel()
	boom := fmt.Errorf("boom")
	_, err := decodeChanges(&failingReader{[]byte(`{"changes":[{"kind":"add"}`), boom}, -1)
	require.ErrorIs(t, err, boom, "the value is not complete: the read error")

	got, err := decodeChanges(&failingReader{[]byte(`{"changes":[{"kind":"add"}]}   `), boom}, -1)
	require.NoError(t, err, "the value is complete before the error: Decode does not read on")
	assert.Equal(t, []wireChange{{Kind: "add"}}, got)
}

// BenchmarkDecodeChanges decodes a body of MaxBatch agent records, with
// the fast path and with encoding/json alone.
func BenchmarkDecodeChanges(b *testing.B) {
	body := agentBody(b, MaxBatch)
	for _, bc := range []struct {
		name   string
		decode func([]byte) ([]wireChange, error)
	}{
		{"fast", func(body []byte) ([]wireChange, error) { return decodeChanges(bytes.NewReader(body), -1) }},
		{"encoding-json", func(body []byte) ([]wireChange, error) { return decodeChangesJSON(bytes.NewReader(body)) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if c, err := bc.decode(body); err != nil || len(c) != MaxBatch {
					b.Fatal(len(c), err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*MaxBatch), "ns/record")
		})
	}
}

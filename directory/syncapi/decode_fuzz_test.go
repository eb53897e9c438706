package syncapi

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
)

// FuzzDecodeChanges: on any body, decodeChanges gives what encoding/json
// gives (the same changes or the same error), and its fast path takes
// only bodies that encoding/json decodes, to the same changes (see agree).
func FuzzDecodeChanges(f *testing.F) {
	for _, tc := range decodeCases {
		f.Add([]byte(tc.body))
	}
	f.Add(agentBody(f, 3))
	// BenchmarkChanges' shape: a zero before written out, null slices in it.
	type change struct {
		Kind      directory.SyncKind `json:"kind"`
		Record    directory.Record   `json:"record"`
		Before    directory.Record   `json:"before"`
		Signature string             `json:"signature"`
	}
	r := directory.RecordOf(directory.Entry{Source: "ldap", ExternalID: "guid-1", Username: "user1", CorporateEmail: "User1@Example.test", Enabled: true})
	b, err := json.Marshal(map[string][]change{"changes": {{Kind: directory.SyncAdd, Record: r, Signature: "eyJhbGciOiJFZERTQSJ9.AAAA~0.1~AbC-_"}}})
	require.NoError(f, err)
	f.Add(b)
	f.Fuzz(func(t *testing.T, body []byte) {
		agree(t, body)
	})
}

package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeConfigSaysWhere(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, data, want string
	}{
		{"syntax", "{\n  \"orgId\": \"o\",\n  \"store\" \"x\"\n}", `line 3, column 11: invalid character '"' after object key`},
		{"type", "{\n  \"orgId\": 5\n}", `line 2, column 13: setting "orgId": want a JSON string, not number`},
		{"unknown setting", "{\n  \"orgName\": \"o\"\n}", `line 2, column 3: unknown field "orgName"`},
		{"trailing junk", `{"orgId":"o"} {"orgId":"p"}`, `line 1, column 15: unexpected data after the configuration object`},
		{"trailing text", "{\"orgId\":\"o\"}\nrm -rf", `unexpected data after the configuration object`},
		{"duplicate top-level key", "{\"orgId\":\"o\",\n\"orgId\":\"p\"}", `line 1, column 13: setting "orgId" is given twice`},
		{"duplicate nested key", `{"source":{"type":"ldap","ldap":{"bindPassword":"a","bindPassword":"b"}}}`, `setting "source.ldap.bindPassword" is given twice`},
		{"empty", "", "the file is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeConfig([]byte(tt.data))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestDecodeConfigAcceptsRepeatedKeysInOtherObjects(t *testing.T) {
	t.Parallel()
	c, err := decodeConfig([]byte(`{"orgId":"o","source":{"type":"csv","csv":{"name":"a","path":"u.csv"}},"welcome":{"subject":"s","text":"t"},"sync":{"interval":"5m"},"store":"sqlite:x","privateKey":"k"}`))
	require.NoError(t, err)
	assert.Equal(t, "o", c.OrgID)
	assert.Equal(t, "a", c.Source.CSV.Name)
	_, err = decodeConfig([]byte(`{"mail":{"list":[{"x":1},{"x":2}]},"orgId":"o"}`))
	require.NoError(t, err, "the same key in two objects of an array is fine")
}

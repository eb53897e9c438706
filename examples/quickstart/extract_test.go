//go:build unix

package quickstart

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExtract(t *testing.T) {
	for _, tc := range []struct {
		name, readme, want, err string
	}{
		{"one block", "intro\n<!-- quickstart:begin -->\n```sh\necho hi\necho there\n```\n<!-- quickstart:end -->\nmore", "echo hi\necho there\n", ""},
		{"no begin", "```sh\necho\n```", "", "no <!-- quickstart:begin -->"},
		{"no end", "<!-- quickstart:begin -->\n```sh\necho\n```\n", "", "no <!-- quickstart:end -->"},
		{"not sh", "<!-- quickstart:begin -->\n```\necho\n```\n<!-- quickstart:end -->", "", "no ```sh block"},
		{"two blocks", "<!-- quickstart:begin -->\n```sh\na\n```\n```sh\nb\n```\n<!-- quickstart:end -->", "", "exactly one"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := extract(tc.readme)
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

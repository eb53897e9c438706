package directory

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestAppliedText(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "nothing", appliedText(nil))
	assert.Equal(t, "nothing", appliedText(map[SyncKind]int{SyncUnchanged: 4}))
	assert.Equal(t, "add 3, deactivate 1", appliedText(map[SyncKind]int{SyncDeactivate: 1, SyncAdd: 3}))
}

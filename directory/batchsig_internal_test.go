package directory

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The verifier's memory of heads never holds more than maxCachedHeads.
func TestHeadCacheBounded(t *testing.T) {
	var c headCache
	for i := range 3 * maxCachedHeads {
		c.put("head"+strconv.Itoa(i), verifiedHead{size: 1})
		assert.LessOrEqual(t, len(c.heads), maxCachedHeads)
	}
	_, ok := c.get("head" + strconv.Itoa(3*maxCachedHeads-1))
	assert.True(t, ok, "the newest head is remembered")
}

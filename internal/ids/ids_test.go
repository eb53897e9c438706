package ids

import (
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSequenceIncreasesWhateverTheClock(t *testing.T) {
	t.Parallel()
	var s Sequence
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var got []string
	for _, at := range []time.Time{now, now, now.Add(-time.Hour), now.Add(time.Millisecond)} {
		id, err := s.Next(at, rand.Reader)
		require.NoError(t, err)
		require.Len(t, id, 32)
		got = append(got, id)
	}
	assert.True(t, slices.IsSorted(got), "%v", got)
	assert.Len(t, slices.Compact(slices.Clone(got)), len(got), "no repeats")
	assert.Equal(t, fmt.Sprintf("%012x", now.UnixMilli()), got[0][:12], "the milliseconds come first")
}

func TestSequenceConcurrent(t *testing.T) {
	t.Parallel()
	var s Sequence
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	now := time.Now()
	for range 8 {
		wg.Go(func() {
			for range 200 {
				id, err := s.Next(now, rand.Reader)
				assert.NoError(t, err)
				mu.Lock()
				seen[id] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.Len(t, seen, 1600)
}

func TestRandomSourceFails(t *testing.T) {
	t.Parallel()
	broken := iotest.ErrReader(errors.New("no entropy"))
	var s Sequence
	_, err := s.Next(time.Now(), broken)
	assert.ErrorContains(t, err, "no entropy")
	_, err = Random(broken)
	assert.ErrorContains(t, err, "no entropy")
	id, err := Random(rand.Reader)
	require.NoError(t, err)
	assert.Len(t, id, 32)
}

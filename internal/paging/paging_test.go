package paging

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

// numbers fetches pages of the integers 1..total after cursor c.
func numbers(total int, calls *int) func(c, n int) ([]int, int, error) {
	return func(c, n int) ([]int, int, error) {
		*calls++
		var page []int
		for v := c + 1; v <= total && len(page) < n; v++ {
			page = append(page, v)
		}
		return page, c + len(page), nil
	}
}

func TestStream(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                   string
		total, pageSize, limit int
		stopAt                 int // consumer breaks after this value (0: never)
		want                   []int
		calls                  int
	}{
		{"empty", 0, 3, 0, 0, nil, 1},
		{"short last page", 7, 3, 0, 0, []int{1, 2, 3, 4, 5, 6, 7}, 3},
		{"exact pages ask once more", 6, 3, 0, 0, []int{1, 2, 3, 4, 5, 6}, 3},
		{"limit inside a page", 7, 3, 4, 0, []int{1, 2, 3, 4}, 2},
		{"limit on a page boundary", 7, 3, 3, 0, []int{1, 2, 3}, 1},
		{"break", 7, 3, 0, 2, []int{1, 2}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			var got []int
			for v, err := range Stream(tt.pageSize, tt.limit, 0, numbers(tt.total, &calls)) {
				assert.NoError(t, err)
				got = append(got, v)
				if v == tt.stopAt {
					break
				}
			}
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.calls, calls)
		})
	}
}

func TestStreamStopsAtTheFirstError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	calls := 0
	fetch := func(c, n int) ([]int, int, error) {
		calls++
		if c > 0 {
			return nil, c, boom
		}
		return []int{1, 2}, 2, nil
	}
	var got []int
	var errs []error
	for v, err := range Stream(2, 0, 0, fetch) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		got = append(got, v)
	}
	assert.Equal(t, []int{1, 2}, got)
	assert.Equal(t, []error{boom}, errs)
	assert.Equal(t, 2, calls)
}

func TestStreamRangedTwiceStartsOver(t *testing.T) {
	t.Parallel()
	calls := 0
	s := Stream(2, 0, 0, numbers(5, &calls))
	for range 2 {
		var got []int
		for v, err := range s {
			assert.NoError(t, err)
			got = append(got, v)
		}
		assert.Equal(t, []int{1, 2, 3, 4, 5}, got)
	}
}

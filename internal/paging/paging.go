// Package paging turns page-by-page reads into one stream, for the stores'
// listings.
package paging

import "iter"

// Stream yields records page by page. fetch returns up to n records after
// cursor c and the cursor after them, with an error ready to hand to the
// consumer; it is called only when the consumer wants more, so no lock or
// connection need be held while the consumer runs. The stream stops at the
// first error, which it yields, at a short page, after limit records (when
// limit > 0) or when the consumer breaks. pageSize must be positive.
func Stream[T, C any](pageSize, limit int, start C, fetch func(c C, n int) ([]T, C, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		c := start // each range over the stream starts from the beginning
		sent := 0
		for {
			n := pageSize
			if limit > 0 && limit-sent < n {
				n = limit - sent
			}
			page, next, err := fetch(c, n)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, v := range page {
				if !yield(v, nil) {
					return
				}
			}
			sent += len(page)
			if len(page) < n || (limit > 0 && sent >= limit) {
				return
			}
			c = next
		}
	}
}

package sms

import (
	"context"
	"strconv"
	"testing"
)

// BenchmarkIssueVerify is one code's life: issue, one wrong guess, the
// right one.
func BenchmarkIssueVerify(b *testing.B) {
	c, err := NewCodes(CodesConfig{Key: testKey, ResendInterval: -1}, &MemStore{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	i := 0
	for b.Loop() {
		key := strconv.Itoa(i % 1024)
		i++
		code, err := c.Issue(ctx, key, "+447700900123")
		if err != nil {
			b.Fatal(err)
		}
		_, _ = c.Verify(ctx, key, "x")
		if _, err := c.Verify(ctx, key, code); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNormalize measures one typical national number.
func BenchmarkNormalize(b *testing.B) {
	for b.Loop() {
		if _, err := Normalize("07700 900-123", "+44"); err != nil {
			b.Fatal(err)
		}
	}
}

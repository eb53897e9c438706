// Package smstest checks implementations of [sms.CodeStore]. It is
// written with plain testing, so implementers do not inherit Usher's test
// libraries.
package smstest

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/usher-sdk/usher/onboarding/sms"
)

// RunCodeStore runs the conformance suite against stores made by
// newStore, which must return a fresh, empty store for each call. The
// suite checks the semantics documented on [sms.CodeStore], including
// that Attempt and Delete are atomic under concurrent use.
func RunCodeStore(t *testing.T, newStore func(t *testing.T) sms.CodeStore) {
	t.Helper()
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	rec := func(hash string, issued time.Time, attempts int) sms.CodeRecord {
		return sms.CodeRecord{Hash: []byte(hash), Phone: "+447700900123", IssuedAt: issued, ExpiresAt: issued.Add(5 * time.Minute), AttemptsLeft: attempts}
	}
	ctx := context.Background()

	t.Run("Empty", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.Attempt(ctx, "k"); !errors.Is(err, sms.ErrNoCode) {
			t.Fatalf("Attempt on an empty store: %v, want ErrNoCode", err)
		}
		if ok, err := s.Delete(ctx, "k", []byte("h")); ok || err != nil {
			t.Fatalf("Delete on an empty store = %v, %v; want false, nil", ok, err)
		}
	})

	t.Run("ReplaceAndThrottle", func(t *testing.T) {
		s := newStore(t)
		mustReplace(t, s, "k", rec("h1", t0, 5), t0, true)
		mustReplace(t, s, "k", rec("h2", t0.Add(10*time.Second), 5), t0.Add(-20*time.Second), false)
		mustReplace(t, s, "k", rec("h3", t0.Add(30*time.Second), 5), t0, true)
		got, err := s.Attempt(ctx, "k")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Hash, []byte("h3")) || got.Phone != "+447700900123" || !got.IssuedAt.Equal(t0.Add(30*time.Second)) ||
			!got.ExpiresAt.Equal(t0.Add(30*time.Second+5*time.Minute)) || got.AttemptsLeft != 4 {
			t.Fatalf("Attempt = %+v, want the third record with 4 attempts left", got)
		}
		mustReplace(t, s, "other", rec("o", t0.Add(time.Hour), 5), t0, true)
	})

	t.Run("AttemptsRunOut", func(t *testing.T) {
		s := newStore(t)
		mustReplace(t, s, "k", rec("h", t0, 2), t0, true)
		for want := 1; want >= 0; want-- {
			got, err := s.Attempt(ctx, "k")
			if err != nil || got.AttemptsLeft != want {
				t.Fatalf("Attempt = %d, %v; want %d left", got.AttemptsLeft, err, want)
			}
		}
		if _, err := s.Attempt(ctx, "k"); !errors.Is(err, sms.ErrAttemptsExhausted) {
			t.Fatalf("Attempt after the limit: %v, want ErrAttemptsExhausted", err)
		}
	})

	t.Run("DeleteOnlyMatchingHash", func(t *testing.T) {
		s := newStore(t)
		mustReplace(t, s, "k", rec("h", t0, 5), t0, true)
		if ok, err := s.Delete(ctx, "k", []byte("other")); ok || err != nil {
			t.Fatalf("Delete with another hash = %v, %v; want false, nil", ok, err)
		}
		if ok, err := s.Delete(ctx, "k", []byte("h")); !ok || err != nil {
			t.Fatalf("Delete = %v, %v; want true, nil", ok, err)
		}
		if _, err := s.Attempt(ctx, "k"); !errors.Is(err, sms.ErrNoCode) {
			t.Fatalf("Attempt after Delete: %v, want ErrNoCode", err)
		}
	})

	t.Run("ConcurrentAttempts", func(t *testing.T) {
		s := newStore(t)
		const limit, callers = 5, 100
		mustReplace(t, s, "k", rec("h", t0, limit), t0, true)
		var mu sync.Mutex
		var ok, exhausted, other int
		var wg sync.WaitGroup
		for range callers {
			wg.Go(func() {
				_, err := s.Attempt(ctx, "k")
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, sms.ErrAttemptsExhausted):
					exhausted++
				default:
					other++
				}
			})
		}
		wg.Wait()
		if ok != limit || exhausted != callers-limit || other != 0 {
			t.Fatalf("%d concurrent Attempts: %d ok, %d exhausted, %d other; want %d, %d, 0", callers, ok, exhausted, other, limit, callers-limit)
		}
	})

	t.Run("ConcurrentDelete", func(t *testing.T) {
		s := newStore(t)
		mustReplace(t, s, "k", rec("h", t0, 5), t0, true)
		var mu sync.Mutex
		won := 0
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				ok, err := s.Delete(ctx, "k", []byte("h"))
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					won++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if won != 1 {
			t.Fatalf("%d concurrent Deletes succeeded, want 1", won)
		}
	})

	t.Run("KeepsItsOwnCopy", func(t *testing.T) {
		s := newStore(t)
		r := rec("hash", t0, 5)
		mustReplace(t, s, "k", r, t0, true)
		r.Hash[0] = 'X'
		got, err := s.Attempt(ctx, "k")
		if err != nil || string(got.Hash) != "hash" {
			t.Fatalf("Attempt = %q, %v; the store shares the caller's slice", got.Hash, err)
		}
	})
}

func mustReplace(t *testing.T, s sms.CodeStore, key string, rec sms.CodeRecord, notIssuedAfter time.Time, want bool) {
	t.Helper()
	ok, err := s.Replace(context.Background(), key, rec, notIssuedAfter)
	if err != nil || ok != want {
		t.Fatalf("Replace(%q) = %v, %v; want %v, nil", key, ok, err, want)
	}
}

package memstore_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
)

func seeded(b *testing.B, n int) (*memstore.Store, []userstore.User) {
	b.Helper()
	s := memstore.New()
	users := make([]userstore.User, n)
	for i := range users {
		u, err := s.CreateUser(b.Context(), userstore.User{Username: fmt.Sprintf("user%06d", i), Enabled: true})
		if err != nil {
			b.Fatal(err)
		}
		users[i] = u
	}
	return s, users
}

func BenchmarkCreateUser(b *testing.B) {
	s := memstore.New()
	i := 0
	for b.Loop() {
		if _, err := s.CreateUser(b.Context(), userstore.User{Username: fmt.Sprint("u", i)}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkGetUserByUsername(b *testing.B) {
	s, _ := seeded(b, 10_000)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.GetUserByUsername(b.Context(), "USER004242"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkRecordFailedLogin(b *testing.B) {
	s, users := seeded(b, 1)
	now := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.RecordFailedLogin(b.Context(), users[0].ID, 0, time.Minute, now); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkListUsers10k(b *testing.B) {
	s, _ := seeded(b, 10_000)
	for b.Loop() {
		n := 0
		for _, err := range s.ListUsers(b.Context(), userstore.ListOptions{}) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != 10_000 {
			b.Fatalf("listed %d", n)
		}
	}
}

package userstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/usher-sdk/usher/userstore"
)

// benchLogin measures Service.Login with the cheap test hasher, so the
// figure is the Service's and the store's own cost.
func benchLogin(b *testing.B, e *env, cfg userstore.Config) {
	ctx := context.Background()
	for i := range 100 {
		e.addUser(fmt.Sprintf("user%03d", i), "", "the-password")
	}
	b.Run("success", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := e.svc.Login(ctx, userstore.LoginRequest{Login: fmt.Sprintf("user%03d", i%100), Password: "the-password", Remote: "192.0.2.1"}); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("unknown", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.svc.Login(ctx, userstore.LoginRequest{Login: "nobody", Password: "the-password", Remote: "192.0.2.1"}); err == nil {
				b.Fatal("unknown user logged in")
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if _, err := e.svc.Login(ctx, userstore.LoginRequest{Login: fmt.Sprintf("user%03d", i%100), Password: "the-password"}); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
	})
}

func BenchmarkLogin_Memstore(b *testing.B) {
	cfg := userstore.Config{AuditSuccessfulLogins: true}
	benchLogin(b, newEnv(b, cfg), cfg)
}

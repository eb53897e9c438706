package sqlstore_test

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/hasher"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

// cheapHasher is a salted SHA-256 "password hash" so that login
// benchmarks measure the store, not the key-stretching. Never for real
// passwords.
type cheapHasher struct{}

func (cheapHasher) Name() string                  { return "bench-sha256" }
func (cheapHasher) Recognize(encoded string) bool { return strings.HasPrefix(encoded, "bench-sha256$") }
func (cheapHasher) Hash(_ context.Context, password string) (string, error) {
	return "bench-sha256$s$" + cheapSum("s", password), nil
}
func (cheapHasher) Verify(_ context.Context, password, encoded string) (bool, bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 3 {
		return false, false, hasher.ErrMalformedHash
	}
	return subtle.ConstantTimeCompare([]byte(cheapSum(parts[1], password)), []byte(parts[2])) == 1, false, nil
}

func cheapSum(salt, password string) string {
	s := sha256.Sum256([]byte(salt + "\x00" + password))
	return hex.EncodeToString(s[:])
}

// benchUsers fills s with n enabled users "user<i>" whose password is
// "secret".
func benchUsers(b *testing.B, s *sqlstore.Store, n int) []userstore.User {
	b.Helper()
	h, _ := cheapHasher{}.Hash(b.Context(), "secret")
	users := make([]userstore.User, n)
	for i := range n {
		u, err := s.CreateUser(b.Context(), userstore.User{Username: fmt.Sprintf("user%d", i), Email: fmt.Sprintf("user%d@example.com", i), Enabled: true, PasswordHash: h})
		require.NoError(b, err)
		users[i] = u
	}
	return users
}

// BenchmarkStore measures the common store operations on each database.
// PostgreSQL needs `./scripts/testservers.sh go test -run=^$ -bench=. ./userstore/sqlstore/`.
func BenchmarkStore(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			s := be.fresh(b)
			users := benchUsers(b, s, 200)
			ctx := b.Context()
			b.Run("GetUser", func(b *testing.B) {
				i := 0
				for b.Loop() {
					_, err := s.GetUser(ctx, users[i%len(users)].ID)
					require.NoError(b, err)
					i++
				}
			})
			b.Run("GetUserByUsername", func(b *testing.B) {
				i := 0
				for b.Loop() {
					_, err := s.GetUserByUsername(ctx, users[i%len(users)].Username)
					require.NoError(b, err)
					i++
				}
			})
			b.Run("GetUserByUsernameParallel", func(b *testing.B) {
				var n atomic.Int64
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						_, err := s.GetUserByUsername(ctx, users[int(n.Add(1))%len(users)].Username)
						if err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
			b.Run("CreateUser", func(b *testing.B) {
				i := 0
				for b.Loop() {
					_, err := s.CreateUser(ctx, userstore.User{Username: fmt.Sprintf("new%d", i)})
					require.NoError(b, err)
					i++
				}
			})
			b.Run("UpdateUser", func(b *testing.B) {
				u := users[0]
				for b.Loop() {
					u.DisplayName = fmt.Sprint(u.Version)
					var err error
					u, err = s.UpdateUser(ctx, u)
					require.NoError(b, err)
				}
			})
			b.Run("RecordFailedLogin", func(b *testing.B) {
				for b.Loop() {
					_, err := s.RecordFailedLogin(ctx, users[1].ID, 0, 0, time.Now())
					require.NoError(b, err)
				}
			})
			b.Run("AddMemberRemoveMember", func(b *testing.B) {
				_, err := s.CreateGroup(ctx, userstore.Group{Name: "bench-group"})
				require.NoError(b, err)
				i := 0
				for b.Loop() {
					id := users[i%len(users)].ID
					require.NoError(b, s.AddMember(ctx, "bench-group", id))
					require.NoError(b, s.RemoveMember(ctx, "bench-group", id))
					i++
				}
			})
			b.Run("AppendAudit", func(b *testing.B) {
				for b.Loop() {
					require.NoError(b, s.AppendAudit(ctx, userstore.AuditEvent{Kind: userstore.AuditLoginSucceeded, UserID: users[2].ID, Login: "user2", Remote: "127.0.0.1"}))
				}
			})
			b.Run("ListUsers200", func(b *testing.B) {
				for b.Loop() {
					n := 0
					for _, err := range s.ListUsers(ctx, userstore.ListOptions{}) {
						require.NoError(b, err)
						n++
					}
					require.GreaterOrEqual(b, n, 200)
				}
			})
		})
	}
}

// BenchmarkLogin measures userstore.Service.Login with a cheap hasher on
// each database: a point read by username, the hash check and, as
// configured here, an audit insert for the successful login.
func BenchmarkLogin(b *testing.B) {
	reg, err := hasher.NewRegistry("bench-sha256", hasher.Config{}, hasher.WithHasher(cheapHasher{}))
	require.NoError(b, err)
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			s := be.fresh(b)
			users := benchUsers(b, s, 200)
			svc, err := userstore.NewService(s, reg, userstore.Config{AuditSuccessfulLogins: true})
			require.NoError(b, err)
			b.Cleanup(func() { _ = svc.Close() })
			ctx := b.Context()
			b.Run("Success", func(b *testing.B) {
				i := 0
				for b.Loop() {
					_, err := svc.Login(ctx, userstore.LoginRequest{Login: users[i%len(users)].Username, Password: "secret", Remote: "127.0.0.1"})
					require.NoError(b, err)
					i++
				}
			})
			b.Run("UnknownUser", func(b *testing.B) {
				for b.Loop() {
					_, err := svc.Login(ctx, userstore.LoginRequest{Login: "nobody", Password: "secret", Remote: "127.0.0.1"})
					require.ErrorIs(b, err, userstore.ErrInvalidCredentials)
				}
			})
			b.Run("SuccessParallel", func(b *testing.B) {
				var n atomic.Int64
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						_, err := svc.Login(ctx, userstore.LoginRequest{Login: users[int(n.Add(1))%len(users)].Username, Password: "secret"})
						if err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		})
	}
}

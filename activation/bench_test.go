package activation_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/activation"
	"github.com/usher-sdk/usher/userstore"
)

// BenchmarkActivate measures a successful Activate (code check, token
// consumption and password-set window) on each store; creating the code
// is not timed.
func BenchmarkActivate(b *testing.B) {
	for _, sc := range storeCases() {
		b.Run(sc.Name, func(b *testing.B) {
			store := sc.Open(b)
			ctx := context.Background()
			u, err := store.CreateUser(ctx, userstore.User{Username: "jdoe"})
			require.NoError(b, err)
			m, err := activation.New(store, testKey, policySetter(store), activation.Settings{Enabled: true})
			require.NoError(b, err)
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				c, err := m.Create(ctx, u.Username, map[string]string{"pin": "4711"})
				require.NoError(b, err)
				b.StartTimer()
				if _, err := m.Activate(ctx, activation.Request{Username: u.Username, Code: c.Code, Extra: map[string]string{"pin": "4711"}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

//go:build samba

package ldap_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/internal/testenv"
	"github.com/usher-sdk/usher/userstore/memstore"
)

// timingCase is one kind of refusal.
type timingCase struct{ name, login, password string }

// refusalMedians runs each case rounds times, interleaved in a new random
// order each round (so that drift in the DC's speed hits every case
// alike), after warm rounds that are not counted, and returns the median
// duration of each.
func refusalMedians(t *testing.T, cases []timingCase, warm, rounds int, try func(login, password string)) map[string]time.Duration {
	t.Helper()
	times := map[string][]time.Duration{}
	order := slices.Clone(cases)
	for r := range warm + rounds {
		rand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, c := range order {
			start := time.Now()
			try(c.login, c.password)
			if r >= warm {
				times[c.name] = append(times[c.name], time.Since(start))
			}
		}
	}
	out := map[string]time.Duration{}
	for _, c := range cases {
		ts := times[c.name]
		require.Len(t, ts, rounds, c.name)
		slices.Sort(ts)
		out[c.name] = ts[len(ts)/2]
	}
	return out
}

// logMedians logs each case's median and its ratio to the first case's.
func logMedians(t *testing.T, what string, cases []timingCase, m map[string]time.Duration) {
	t.Helper()
	ref := m[cases[0].name]
	for _, c := range cases {
		t.Logf("%s: %-28s median %7.2f ms  (%.2f× %s)", what, c.name, float64(m[c.name].Microseconds())/1000,
			float64(m[c.name])/float64(ref), cases[0].name)
	}
}

// TestSambaRefusalTiming measures how long refusals take against the real
// DC, through the source and through the chain, and logs the medians: a
// refusal for an unknown or out-of-scope user is padded to the running
// median of the source's refusals of real accounts (timing.go), so the
// medians should come out within about 10% of each other. Timing on a
// shared machine is noisy, so the test asserts only that the comparison
// ran; the logged figures are what it is for (run with -v).
//
// It does not run in parallel with the other tests, which would load the
// DC unevenly. Wrong passwords do not lock bob out: the test domain has no
// lockout threshold.
func TestSambaRefusalTiming(t *testing.T) {
	dc := testenv.Samba(t)
	ctx := t.Context()
	const warm, rounds = 10, 60

	// What an unknown user's refusal costs unpadded: a source that has not
	// refused a real account yet does not pad.
	fresh := newSambaSource(t, sambaConfig(dc))
	unpadded := refusalMedians(t, []timingCase{{"unknown user, unpadded", "nobody", dc.UserPassword}}, warm, rounds,
		func(login, password string) {
			_, ok, err := fresh.Authenticate(ctx, login, password)
			require.NoError(t, err)
			require.False(t, ok)
		})

	cases := []timingCase{
		{"wrong password", "bob", "wrong-Password-1"},
		{"wrong password, account name", `EXAMPLE\hank`, "wrong-Password-1"},
		{"unknown user", "nobody", dc.UserPassword},
		{"unknown domain", `OTHER\bob`, dc.UserPassword},
		{"outside the mandatory group", "carol", dc.UserPassword},
		{"disabled", "dave", dc.UserPassword},
		{"locked out", "larry", dc.UserPassword},
	}
	src := newSambaSource(t, sambaConfig(dc))
	direct := refusalMedians(t, cases, warm, rounds, func(login, password string) {
		_, ok, err := src.Authenticate(ctx, login, password)
		require.NoError(t, err)
		require.False(t, ok)
	})
	logMedians(t, "source", cases[:1], map[string]time.Duration{cases[0].name: direct[cases[0].name]})
	logMedians(t, "source", append(cases[:1:1], timingCase{name: "unknown user, unpadded"}),
		map[string]time.Duration{cases[0].name: direct[cases[0].name], "unknown user, unpadded": unpadded["unknown user, unpadded"]})
	logMedians(t, "source", cases, direct)

	// Through the chain: alice signs in once, so the store knows her and
	// her refusal takes the stored-user path.
	store := memstore.New()
	t.Cleanup(func() { _ = store.Close() })
	chain, err := directory.NewChain(store, directory.ChainConfig{
		Sources: []directory.Source{newSambaSource(t, sambaConfig(dc))}, AutoCreate: true,
	})
	require.NoError(t, err)
	_, err = chain.Authenticate(ctx, "alice@other.test", dc.UserPassword)
	require.NoError(t, err)
	chainCases := []timingCase{
		{"wrong password, stored user", "alice@other.test", "wrong-Password-1"},
		{"wrong password, not stored", "bob", "wrong-Password-1"},
		{"unknown user", "nobody", dc.UserPassword},
		{"outside the mandatory group", "carol", dc.UserPassword},
	}
	viaChain := refusalMedians(t, chainCases, warm, rounds, func(login, password string) {
		_, err := chain.Authenticate(ctx, login, password)
		require.Error(t, err)
	})
	logMedians(t, "chain", chainCases, viaChain)
}

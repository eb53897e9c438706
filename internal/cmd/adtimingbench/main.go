// Command adtimingbench measures whether the time of a refused login on an
// Active Directory source tells who exists: every refusal path of
// directory/ldap's Authenticate (unknown user, unknown NetBIOS domain,
// outside the mandatory group, disabled, expired, locked out) against a
// wrong password for a real user, through the source and through
// directory.Chain (where a user the store knows takes another path). Paths
// run in interleaved rounds, each in a new order; a path's figure is the
// median of its calls' times, and the goal is every path within 10% of its
// reference.
//
// It runs against the private Samba AD DC of scripts/samba-ad.sh and its
// seeded users (internal/testenv.SambaDC):
//
//	./scripts/samba-ad.sh go run ./internal/cmd/adtimingbench
//	./scripts/samba-ad.sh go run ./internal/cmd/adtimingbench -rounds 400 -strict
//
// A source pads a refusal for a user who does not exist (or cannot sign
// in) to the running median of its wrong-password refusals; -unpadded also
// prints what an unknown user's refusal costs on a source that has not yet
// seen one, i.e. without padding. The test domain has no lockout threshold,
// so the wrong passwords lock nobody out.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"time"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/directory/ldap"
	"github.com/usher-sdk/usher/internal/testenv"
	"github.com/usher-sdk/usher/userstore/memstore"
)

type path struct{ name, login, password string }

func main() {
	rounds := flag.Int("rounds", 200, "timed rounds; each calls every path once, in a new order")
	warm := flag.Int("warm", 20, "untimed rounds first (connections, caches, the source's running median)")
	goal := flag.Float64("goal", 1.10, "largest allowed ratio of a path's median to its reference's (either way)")
	strict := flag.Bool("strict", false, "exit with status 1 when a path misses the goal")
	unpadded := flag.Bool("unpadded", true, "also time an unknown user on a source that has not refused a real account yet")
	flag.Parse()
	missed, err := run(context.Background(), *rounds, *warm, *goal, *unpadded)
	if err != nil {
		fmt.Fprintln(os.Stderr, "adtimingbench:", err)
		os.Exit(1)
	}
	if missed && *strict {
		os.Exit(1)
	}
}

func run(ctx context.Context, rounds, warm int, goal float64, unpadded bool) (bool, error) {
	url := os.Getenv(testenv.EnvSambaURL)
	if url == "" {
		return false, errors.New("no DC: run under ./scripts/samba-ad.sh (" + testenv.EnvSambaURL + " is not set)")
	}
	userPW := os.Getenv(testenv.EnvSambaUserPassword)
	cfg := ldap.Config{
		Name: "example.test", URL: url, BaseDN: orDefault(os.Getenv(testenv.EnvSambaBaseDN), "DC=example,DC=test"),
		BindDN:       orDefault(os.Getenv(testenv.EnvSambaBindDN), "CN=Administrator,CN=Users,DC=example,DC=test"),
		BindPassword: os.Getenv(testenv.EnvSambaBindPassword), ActiveDirectory: true,
		UPNSuffixes: []string{"other.test"}, MandatoryGroup: "employees", Timeout: 20 * time.Second,
	}
	open := func() (*ldap.Source, error) { return ldap.New(cfg) }
	fmt.Printf("adtimingbench: %s, %d rounds after %d warm-up rounds, goal ±%.0f%%\n", url, rounds, warm, (goal-1)*100)

	if unpadded {
		fresh, err := open()
		if err != nil {
			return false, err
		}
		defer fresh.Close()
		ms, err := medians([]path{{"unknown user, unpadded", "nobody", userPW}}, 0, 20, func(l, p string) error {
			_, ok, err := fresh.Authenticate(ctx, l, p)
			return refusal(ok, err)
		})
		if err != nil {
			return false, err
		}
		fmt.Printf("  unpadded: unknown user %s (a source pads only once it has refused a real account)\n", ms[0])
	}

	src, err := open()
	if err != nil {
		return false, err
	}
	defer src.Close()
	paths := []path{
		{"wrong password", "bob", "wrong-Password-1"},
		{"wrong password, account name", `EXAMPLE\hank`, "wrong-Password-1"},
		{"unknown user", "nobody", userPW},
		{"unknown NetBIOS domain", `OTHER\bob`, userPW},
		{"outside the mandatory group", "carol", userPW},
		{"disabled", "dave", userPW},
		{"expired", "eve", userPW},
		{"locked out", "larry", userPW},
	}
	ms, err := medians(paths, warm, rounds, func(l, p string) error {
		_, ok, err := src.Authenticate(ctx, l, p)
		return refusal(ok, err)
	})
	if err != nil {
		return false, err
	}
	missed := report("source", paths, ms, goal)

	store := memstore.New()
	defer store.Close()
	csrc, err := open()
	if err != nil {
		return false, err
	}
	defer csrc.Close()
	chain, err := directory.NewChain(store, directory.ChainConfig{Sources: []directory.Source{csrc}, AutoCreate: true})
	if err != nil {
		return false, err
	}
	if _, err := chain.Authenticate(ctx, "alice@other.test", userPW); err != nil {
		return false, fmt.Errorf("alice's first sign-in: %w", err)
	}
	chainPaths := []path{
		{"wrong password, stored user", "alice@other.test", "wrong-Password-1"},
		{"wrong password, not stored", "bob", "wrong-Password-1"},
		{"unknown user", "nobody", userPW},
		{"outside the mandatory group", "carol", userPW},
		{"locked out", "larry", userPW},
	}
	cms, err := medians(chainPaths, warm, rounds, func(l, p string) error {
		if _, err := chain.Authenticate(ctx, l, p); err == nil {
			return fmt.Errorf("%s signed in", l)
		} else if errors.Is(err, directory.ErrUnavailable) {
			return err
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	return report("chain", chainPaths, cms, goal) || missed, nil
}

// refusal turns an Authenticate result that should be a refusal into an
// error when it is not.
func refusal(ok bool, err error) error {
	if err != nil {
		return err
	}
	if ok {
		return errors.New("signed in")
	}
	return nil
}

// medians times every path once per round, in a new order each round,
// and returns each path's median over the timed rounds.
func medians(paths []path, warm, rounds int, try func(login, password string) error) ([]time.Duration, error) {
	times := make([][]time.Duration, len(paths))
	order := make([]int, len(paths))
	for i := range order {
		order[i] = i
	}
	for r := range warm + rounds {
		rand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, i := range order {
			start := time.Now()
			if err := try(paths[i].login, paths[i].password); err != nil {
				return nil, fmt.Errorf("%s: %w", paths[i].name, err)
			}
			if r >= warm {
				times[i] = append(times[i], time.Since(start))
			}
		}
	}
	out := make([]time.Duration, len(paths))
	for i, ts := range times {
		slices.Sort(ts)
		out[i] = ts[len(ts)/2]
	}
	return out, nil
}

// report prints each path's median against the first path's; missed is
// true when one is off by more than goal either way.
func report(what string, paths []path, ms []time.Duration, goal float64) (missed bool) {
	ref := ms[0]
	for i, p := range paths {
		ratio := float64(ms[i]) / float64(ref)
		mark := ""
		if ratio > goal || ratio < 1/goal {
			mark, missed = "  MISSED", true
		}
		fmt.Printf("  %-6s %-30s median %8s  %.2f×%s\n", what, p.name, ms[i].Round(time.Microsecond), ratio, mark)
	}
	return missed
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

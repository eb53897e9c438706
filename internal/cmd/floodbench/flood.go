package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/usher-sdk/usher/hasher"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
)

// result is what a child process measured.
type result struct {
	Bound         int     `json:"bound"` // MaxConcurrentHashes in effect; 0: none
	Logins        int     `json:"logins"`
	Seconds       float64 `json:"seconds"`        // from the start of the flood to its last login
	MedianSeconds float64 `json:"median_seconds"` // of one login
	MaxSeconds    float64 `json:"max_seconds"`
	PeakRSS       uint64  `json:"peak_rss"` // bytes, the whole process's
}

// flood makes a store of users, starts logins wrong-password logins at
// once against a Service whose registry has MaxConcurrentHashes bound, and
// measures them. Every login must be refused with ErrInvalidCredentials.
func flood(ctx context.Context, logins, users, bound int) (result, error) {
	reg, err := hasher.NewRegistry("usher-v1", hasher.Config{MaxConcurrentHashes: bound})
	if err != nil {
		return result{}, err
	}
	store := memstore.New()
	for i := range users {
		h, err := reg.Hash(ctx, fmt.Sprintf("the right password %d", i))
		if err != nil {
			return result{}, err
		}
		u := userstore.User{Username: fmt.Sprintf("user%d", i), Enabled: true, PasswordHash: h}
		if _, err := store.CreateUser(ctx, u); err != nil {
			return result{}, err
		}
	}
	// No lock-out, so that every login is the same wrong-password path
	// however many hit one user.
	svc, err := userstore.NewService(store, reg, userstore.Config{MaxFailedLogins: -1})
	if err != nil {
		return result{}, err
	}
	defer svc.Close()

	start := make(chan struct{})
	took := make([]time.Duration, logins)
	errs := make([]error, logins)
	var wg sync.WaitGroup
	for i := range logins {
		wg.Go(func() {
			<-start
			t0 := time.Now()
			_, err := svc.Login(ctx, userstore.LoginRequest{
				Login: fmt.Sprintf("user%d", i%users), Password: "a wrong password", Remote: "floodbench",
			})
			took[i] = time.Since(t0)
			if !errors.Is(err, userstore.ErrInvalidCredentials) {
				errs[i] = fmt.Errorf("login %d: want ErrInvalidCredentials, got %v", i, err)
			}
		})
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	elapsed := time.Since(t0)
	if err := errors.Join(errs...); err != nil {
		return result{}, err
	}

	slices.Sort(took)
	res := result{
		Logins:        logins,
		Seconds:       elapsed.Seconds(),
		MedianSeconds: took[len(took)/2].Seconds(),
		MaxSeconds:    took[len(took)-1].Seconds(),
		PeakRSS:       maxRSS(),
	}
	if bound >= 0 {
		res.Bound = bound
		if bound == 0 {
			res.Bound = runtime.GOMAXPROCS(0) // the default NewRegistry read
		}
	}
	return res, nil
}

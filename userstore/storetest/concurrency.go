package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usher-sdk/usher/userstore"
)

var concurrencyTests = []test{
	{"SameUsernameOneWins", testParallelSameUsername},
	{"SameVersionOneWins", testParallelSameVersion},
	{"SetUserGroupsSameNewGroup", testParallelSetUserGroups},
	{"FeedReaderMissesNothing", testFeedReaderMissesNothing},
	{"UpdatesKeepConcurrentFailures", testUpdatesKeepFailures},
}

// race runs f(i) for i in [0, n) at once and returns how many returned nil
// and the errors that did not match expected.
func race(n int, expected error, f func(i int) error) (ok int, unexpected []error) {
	var (
		wg sync.WaitGroup
		mu sync.Mutex
	)
	for i := range n {
		wg.Go(func() {
			err := f(i)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, expected):
				unexpected = append(unexpected, err)
			}
		})
	}
	wg.Wait()
	return ok, unexpected
}

func testParallelSameUsername(t *testing.T, s userstore.Store) {
	const n = 30
	spellings := []string{"zoe", "Zoe", "ZOE", "zOe"}
	ok, unexpected := race(n, userstore.ErrConflict, func(i int) error {
		_, err := s.CreateUser(t.Context(), newUser(spellings[i%len(spellings)]))
		return err
	})
	if ok != 1 || len(unexpected) != 0 {
		t.Errorf("%d concurrent creates of one username: %d succeeded, unexpected errors %v; want 1 and the rest ErrConflict", n, ok, unexpected)
	}
	if users := mustCollect(t, "ListUsers", s.ListUsers(t.Context(), userstore.ListOptions{})); len(users) != 1 {
		t.Errorf("the store holds %d users, want 1", len(users))
	}
	if c := changes(t, s, 0); len(c) != 1 {
		t.Errorf("the feed holds %d changes, want 1", len(c))
	}
}

func testParallelSameVersion(t *testing.T, s userstore.Store) {
	u := mustCreate(t, s, newUser("ada"))
	const n = 20
	ok, unexpected := race(n, userstore.ErrVersionConflict, func(i int) error {
		edit := u
		edit.DisplayName = fmt.Sprint("writer ", i)
		_, err := s.UpdateUser(t.Context(), edit)
		return err
	})
	if ok != 1 || len(unexpected) != 0 {
		t.Errorf("%d concurrent updates of version %d: %d succeeded, unexpected errors %v; want 1 and the rest ErrVersionConflict", n, u.Version, ok, unexpected)
	}
	got := mustGet(t, s, u.ID)
	if !strings.HasPrefix(got.DisplayName, "writer ") || got.Version <= u.Version {
		t.Errorf("after the race: %q, version %d", got.DisplayName, got.Version)
	}
}

func testParallelSetUserGroups(t *testing.T, s userstore.Store) {
	const n = 10
	users := createN(t, s, "sug", n)
	ok, unexpected := race(n, nil, func(i int) error {
		return s.SetUserGroups(t.Context(), users[i].ID, []string{"shared-new", fmt.Sprintf("own-%02d", i)})
	})
	if ok != n || len(unexpected) != 0 {
		t.Fatalf("%d concurrent SetUserGroups creating one group: %d succeeded, errors %v", n, ok, unexpected)
	}
	members := mustCollect(t, "ListMembers", s.ListMembers(t.Context(), "shared-new"))
	if !slices.Equal(ids(members), sortedIDs(users...)) {
		t.Errorf("members of the shared group = %v, want all %d users", ids(members), n)
	}
	if groups := mustCollect(t, "ListGroups", s.ListGroups(t.Context())); len(groups) != n+1 {
		t.Errorf("%d groups, want %d", len(groups), n+1)
	}
}

// testFeedReaderMissesNothing follows the feed while writers write: a
// reader that passes the last Seq it saw must see every event, which fails
// when a store lets an event become visible before one with a smaller Seq.
func testFeedReaderMissesNothing(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	const writers, each = 8, 10
	done := make(chan struct{})
	var seen []int64
	readErr := make(chan error, 1)
	go func() {
		var cursor int64
		read := func() error {
			for c, err := range s.Changes(ctx, cursor) {
				if err != nil {
					return err
				}
				seen = append(seen, c.Seq)
				cursor = c.Seq
			}
			return nil
		}
		for {
			select {
			case <-done:
				readErr <- read()
				return
			default:
				if err := read(); err != nil {
					readErr <- err
					return
				}
			}
		}
	}()
	ok, unexpected := race(writers, nil, func(w int) error {
		for i := range each {
			if _, err := s.CreateUser(ctx, newUser(fmt.Sprintf("w%d-%02d", w, i))); err != nil {
				return err
			}
		}
		return nil
	})
	close(done)
	if err := <-readErr; err != nil {
		t.Fatalf("reading the feed: %v", err)
	}
	if ok != writers || len(unexpected) != 0 {
		t.Fatalf("writers failed: %v", unexpected)
	}
	var all []int64
	for _, c := range changes(t, s, 0) {
		all = append(all, c.Seq)
	}
	if len(all) != writers*each {
		t.Errorf("%d creates recorded %d changes", writers*each, len(all))
	}
	if !slices.Equal(seen, all) {
		t.Errorf("a reader following the feed saw %d events, the feed holds %d: missed %v", len(seen), len(all), missing(all, seen))
	}
}

// testUpdatesKeepFailures races failed logins against profile updates that
// retry on ErrVersionConflict: no failure may be lost to an update that
// writes back a count it read earlier.
func testUpdatesKeepFailures(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	u := mustCreate(t, s, newUser("bea"))
	const failures, updaters = 40, 10
	now := time.Now()
	ok, unexpected := race(failures+updaters, nil, func(i int) error {
		if i < failures {
			_, err := s.RecordFailedLogin(ctx, u.ID, 0, time.Hour, now)
			return err
		}
		for range 1000 {
			cur, err := s.GetUser(ctx, u.ID)
			if err != nil {
				return err
			}
			cur.DisplayName = fmt.Sprint("updater ", i)
			if _, err = s.UpdateUser(ctx, cur); !errors.Is(err, userstore.ErrVersionConflict) {
				return err
			}
		}
		return fmt.Errorf("updater %d: still conflicting after 1000 attempts", i)
	})
	if ok != failures+updaters || len(unexpected) != 0 {
		t.Fatalf("errors: %v", unexpected)
	}
	if got := mustGet(t, s, u.ID); got.FailedLogins != failures {
		t.Errorf("FailedLogins = %d after %d failures raced with updates, want %d", got.FailedLogins, failures, failures)
	}
}

func missing(all, seen []int64) []int64 {
	var out []int64
	for _, s := range all {
		if !slices.Contains(seen, s) {
			out = append(out, s)
		}
	}
	return out
}

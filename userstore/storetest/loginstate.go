package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/usher-sdk/usher/userstore"
)

var loginStateTests = []test{
	{"LockAtMax", testLockAtMax},
	{"ExpiredLockStartsNewCount", testExpiredLockStartsNewCount},
	{"NoLockWithoutMax", testNoLockWithoutMax},
	{"ParallelFailuresExact", testParallelFailures},
	{"Reset", testResetFailedLogins},
	{"SetPassword", testSetPassword},
	{"SetPasswordCompareAndSet", testSetPasswordCompareAndSet},
	{"SetPasswordOneWins", testSetPasswordOneWins},
	{"SetPasswordChangeBeatsRehash", testSetPasswordChangeBeatsRehash},
	{"UnknownUser", testLoginStateUnknownUser},
}

func testLockAtMax(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	u := mustCreate(t, s, newUser("tom"))
	const maxFailures, lockFor = 3, 15 * time.Minute
	now := time.Now().Truncate(time.Second)
	version := u.Version
	for i := 1; i <= maxFailures+1; i++ {
		st, err := s.RecordFailedLogin(ctx, u.ID, maxFailures, lockFor, now)
		if err != nil {
			t.Fatalf("RecordFailedLogin %d: %v", i, err)
		}
		if st.FailedLogins != i {
			t.Errorf("after failure %d: FailedLogins = %d", i, st.FailedLogins)
		}
		got := mustGet(t, s, u.ID)
		if got.FailedLogins != i || !sameTime(got.LockedUntil, st.LockedUntil) {
			t.Errorf("after failure %d: stored %d, %v; returned %d, %v", i, got.FailedLogins, got.LockedUntil, st.FailedLogins, st.LockedUntil)
		}
		if got.Version <= version {
			t.Errorf("after failure %d: Version %d, want more than %d", i, got.Version, version)
		}
		version = got.Version
		switch {
		case i < maxFailures && !st.LockedUntil.IsZero():
			t.Errorf("locked after %d failures of %d: %v", i, maxFailures, st.LockedUntil)
		case i >= maxFailures && !sameTime(st.LockedUntil, now.Add(lockFor)):
			t.Errorf("after %d failures of %d: LockedUntil = %v, want %v", i, maxFailures, st.LockedUntil, now.Add(lockFor))
		case i >= maxFailures && !got.Locked(now):
			t.Errorf("after %d failures of %d the user is not locked", i, maxFailures)
		}
	}
}

func testNoLockWithoutMax(t *testing.T, s userstore.Store) {
	u := mustCreate(t, s, newUser("uma"))
	for i := range 5 {
		st, err := s.RecordFailedLogin(t.Context(), u.ID, 0, time.Hour, time.Now())
		if err != nil || st.FailedLogins != i+1 || !st.LockedUntil.IsZero() {
			t.Errorf("RecordFailedLogin with maxFailures 0 = %+v, %v; want %d failures and no lock", st, err, i+1)
		}
	}
}

// testParallelFailures is the lock-out rule under load: 100 concurrent
// failures move the count by exactly 100, each caller sees a different
// count, and the lock starts exactly at the max.
func testParallelFailures(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	u := mustCreate(t, s, newUser("vera"))
	const n, maxFailures, lockFor = 100, 37, time.Hour
	now := time.Now().Truncate(time.Second)
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		counts []int
		errs   []error
	)
	for range n {
		wg.Go(func() {
			st, err := s.RecordFailedLogin(ctx, u.ID, maxFailures, lockFor, now)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			counts = append(counts, st.FailedLogins)
			if locked := !st.LockedUntil.IsZero(); locked != (st.FailedLogins >= maxFailures) {
				errs = append(errs, fmt.Errorf("count %d of max %d returned LockedUntil %v", st.FailedLogins, maxFailures, st.LockedUntil))
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	slices.Sort(counts)
	for i, c := range counts {
		if c != i+1 {
			t.Fatalf("the %d concurrent calls returned counts %v, want 1 to %d each once", n, counts, n)
		}
	}
	got := mustGet(t, s, u.ID)
	if got.FailedLogins != n || !sameTime(got.LockedUntil, now.Add(lockFor)) {
		t.Errorf("after %d concurrent failures: FailedLogins %d, LockedUntil %v; want %d, %v", n, got.FailedLogins, got.LockedUntil, n, now.Add(lockFor))
	}
}

func testResetFailedLogins(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	u := mustCreate(t, s, newUser("walt"))
	for range 3 {
		if _, err := s.RecordFailedLogin(ctx, u.ID, 2, time.Hour, time.Now()); err != nil {
			t.Fatalf("RecordFailedLogin: %v", err)
		}
	}
	before := mustGet(t, s, u.ID)
	if err := s.ResetFailedLogins(ctx, u.ID); err != nil {
		t.Fatalf("ResetFailedLogins: %v", err)
	}
	got := mustGet(t, s, u.ID)
	if got.FailedLogins != 0 || !got.LockedUntil.IsZero() || got.Locked(time.Now()) {
		t.Errorf("after reset: FailedLogins %d, LockedUntil %v", got.FailedLogins, got.LockedUntil)
	}
	if got.Version <= before.Version {
		t.Errorf("ResetFailedLogins: Version %d, want more than %d", got.Version, before.Version)
	}
	if st, err := s.RecordFailedLogin(ctx, u.ID, 2, time.Hour, time.Now()); err != nil || st.FailedLogins != 1 || !st.LockedUntil.IsZero() {
		t.Errorf("first failure after reset = %+v, %v", st, err)
	}
}

func testSetPassword(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	u := mustCreate(t, s, newUser("xena"))
	for range 2 {
		if _, err := s.RecordFailedLogin(ctx, u.ID, 2, time.Hour, time.Now()); err != nil {
			t.Fatalf("RecordFailedLogin: %v", err)
		}
	}
	before := mustGet(t, s, u.ID)
	if !before.Locked(time.Now()) {
		t.Fatal("user not locked after 2 failures of 2")
	}
	if err := s.SetPassword(ctx, u.ID, before.PasswordHash, "$admin$set", true); err != nil {
		t.Fatalf("SetPassword: %v", err)
	}
	got := mustGet(t, s, u.ID)
	if got.PasswordHash != "$admin$set" || !got.MustChangePassword || got.FailedLogins != 0 || !got.LockedUntil.IsZero() {
		t.Errorf("after SetPassword(mustChange): %+v", got)
	}
	if got.Version <= before.Version {
		t.Errorf("SetPassword: Version %d, want more than %d", got.Version, before.Version)
	}
	want := got
	if err := s.SetPassword(ctx, u.ID, "$admin$set", "$user$chose", false); err != nil {
		t.Fatalf("SetPassword: %v", err)
	}
	got = mustGet(t, s, u.ID)
	want.PasswordHash, want.MustChangePassword = "$user$chose", false
	want.UpdatedAt, want.Version = got.UpdatedAt, got.Version
	checkUser(t, "after SetPassword", got, want)
	// A stale profile update still fails after SetPassword.
	stale := before
	stale.DisplayName = "stale"
	_, err := s.UpdateUser(ctx, stale)
	checkErr(t, "UpdateUser with the version from before SetPassword", err, userstore.ErrVersionConflict)
}

// testSetPasswordCompareAndSet: SetPassword writes only over the hash the
// caller expects. A stale expected hash, or "" for a user who has one,
// changes nothing at all: not the hash, the flag, the failed-login count,
// the Version nor the change feed.
func testSetPasswordCompareAndSet(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	nu := newUser("cas")
	nu.PasswordHash = "$old$"
	u := mustCreate(t, s, nu)
	if _, err := s.RecordFailedLogin(ctx, u.ID, 5, time.Hour, time.Now()); err != nil {
		t.Fatalf("RecordFailedLogin: %v", err)
	}
	before := mustGet(t, s, u.ID)
	seq := lastSeq(t, s)
	for _, stale := range []string{"$stale$", "", "$OLD$", "$old$ "} {
		err := s.SetPassword(ctx, u.ID, stale, "$new$", true)
		checkErr(t, fmt.Sprintf("SetPassword expecting %q over %q", stale, "$old$"), err, userstore.ErrVersionConflict)
		if errors.Is(err, userstore.ErrNotFound) {
			t.Errorf("SetPassword with a stale hash of an existing user: %v, must not match ErrNotFound", err)
		}
	}
	checkUser(t, "after refused SetPassword", mustGet(t, s, u.ID), before)
	if got := events(t, s, seq); len(got) != 0 {
		t.Errorf("refused SetPassword recorded changes %v", got)
	}

	if err := s.SetPassword(ctx, u.ID, "$old$", "$new$", true); err != nil {
		t.Fatalf("SetPassword expecting the stored hash: %v", err)
	}
	got := mustGet(t, s, u.ID)
	if got.PasswordHash != "$new$" || !got.MustChangePassword || got.FailedLogins != 0 || got.Version <= before.Version {
		t.Errorf("after SetPassword: hash %q, mustChange %v, FailedLogins %d, Version %d (was %d)",
			got.PasswordHash, got.MustChangePassword, got.FailedLogins, got.Version, before.Version)
	}
	// The hash it replaced is now the stale one.
	checkErr(t, "SetPassword expecting the replaced hash", s.SetPassword(ctx, u.ID, "$old$", "$again$", false), userstore.ErrVersionConflict)
	checkUser(t, "after SetPassword expecting the replaced hash", mustGet(t, s, u.ID), got)
}

// testSetPasswordOneWins: of concurrent SetPassword calls expecting the
// same hash, exactly one succeeds and its hash is stored; the others get
// ErrVersionConflict.
func testSetPasswordOneWins(t *testing.T, s userstore.Store) {
	u := mustCreate(t, s, newUser("olga"))
	const n = 20
	var (
		mu     sync.Mutex
		winner = -1
	)
	ok, unexpected := race(n, userstore.ErrVersionConflict, func(i int) error {
		err := s.SetPassword(t.Context(), u.ID, u.PasswordHash, fmt.Sprintf("$writer$%d", i), false)
		if err == nil {
			mu.Lock()
			winner = i
			mu.Unlock()
		}
		return err
	})
	if ok != 1 || len(unexpected) != 0 {
		t.Fatalf("%d concurrent SetPassword calls from one hash: %d succeeded, unexpected errors %v; want 1 and the rest ErrVersionConflict", n, ok, unexpected)
	}
	if got, want := mustGet(t, s, u.ID).PasswordHash, fmt.Sprintf("$writer$%d", winner); got != want {
		t.Errorf("stored hash %q, want the winner's %q", got, want)
	}
}

// testSetPasswordChangeBeatsRehash is the race of a password change and
// a login's rehash, 50 rounds: the rehash writes once from the hash its
// login read and gives up on a conflict; the change reads the stored hash
// and writes over it, reading again after a conflict. Whichever comes
// first, the changed password is stored at the end.
func testSetPasswordChangeBeatsRehash(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	nu := newUser("rhea")
	nu.PasswordHash = "$round$-1$changed"
	u := mustCreate(t, s, nu)
	const rounds = 50
	for round := range rounds {
		old := mustGet(t, s, u.ID).PasswordHash
		changed := fmt.Sprintf("$round$%d$changed", round)
		var (
			wg                   sync.WaitGroup
			rehashErr, changeErr error
			start                = make(chan struct{})
		)
		wg.Go(func() {
			<-start
			rehashErr = s.SetPassword(ctx, u.ID, old, fmt.Sprintf("$round$%d$rehashed", round), false)
		})
		wg.Go(func() {
			<-start
			changeErr = overwritePassword(t, s, u.ID, changed)
		})
		close(start)
		wg.Wait()
		if rehashErr != nil && !errors.Is(rehashErr, userstore.ErrVersionConflict) {
			t.Fatalf("round %d: rehash: %v, want nil or ErrVersionConflict", round, rehashErr)
		}
		if changeErr != nil {
			t.Fatalf("round %d: change: %v", round, changeErr)
		}
		if got := mustGet(t, s, u.ID).PasswordHash; got != changed {
			t.Fatalf("round %d: stored hash %q after the race, want the changed %q (rehash returned %v)", round, got, changed, rehashErr)
		}
	}
}

// overwritePassword sets newHash whatever the stored hash is, as an
// administrator's reset does: read, compare-and-set, and on a conflict
// read again. A few tries suffice against one competitor.
func overwritePassword(t *testing.T, s userstore.Store, id, newHash string) error {
	var err error
	for range 5 {
		var u userstore.User
		if u, err = s.GetUser(t.Context(), id); err != nil {
			return err
		}
		err = s.SetPassword(t.Context(), id, u.PasswordHash, newHash, false)
		if !errors.Is(err, userstore.ErrVersionConflict) {
			return err
		}
	}
	return err
}

func testLoginStateUnknownUser(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	u := mustCreate(t, s, newUser("yuri"))
	missing := u.ID + "-missing"
	_, err := s.RecordFailedLogin(ctx, missing, 3, time.Hour, time.Now())
	checkErr(t, "RecordFailedLogin", err, userstore.ErrNotFound)
	checkErr(t, "ResetFailedLogins", s.ResetFailedLogins(ctx, missing), userstore.ErrNotFound)
	checkErr(t, "SetPassword", s.SetPassword(ctx, missing, "", "$h$", false), userstore.ErrNotFound)
	checkErr(t, "SetPassword with a stale hash", s.SetPassword(ctx, missing, "$stale$", "$h$", false), userstore.ErrNotFound)
}

// testExpiredLockStartsNewCount: once a lock has run out, the next failure
// is the first of a new series, and the account locks again only after
// maxFailures new failures.
func testExpiredLockStartsNewCount(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	u := mustCreate(t, s, newUser("ned"))
	const maxFailures, lockFor = 2, time.Minute
	now := time.Now().Truncate(time.Second)
	for range maxFailures {
		if _, err := s.RecordFailedLogin(ctx, u.ID, maxFailures, lockFor, now); err != nil {
			t.Fatal(err)
		}
	}
	later := now.Add(lockFor) // the lock has just run out
	st, err := s.RecordFailedLogin(ctx, u.ID, maxFailures, lockFor, later)
	if err != nil {
		t.Fatal(err)
	}
	if st.FailedLogins != 1 || !st.LockedUntil.IsZero() {
		t.Errorf("first failure after the lock ran out = %+v; want 1 failure and no lock", st)
	}
	st, err = s.RecordFailedLogin(ctx, u.ID, maxFailures, lockFor, later)
	if err != nil {
		t.Fatal(err)
	}
	if st.FailedLogins != maxFailures || !sameTime(st.LockedUntil, later.Add(lockFor)) {
		t.Errorf("second failure after the lock ran out = %+v; want %d failures, locked until %v", st, maxFailures, later.Add(lockFor))
	}
	// While a lock runs, failures go on counting and extend it.
	st, err = s.RecordFailedLogin(ctx, u.ID, maxFailures, lockFor, later.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if st.FailedLogins != maxFailures+1 || !sameTime(st.LockedUntil, later.Add(time.Second+lockFor)) {
		t.Errorf("failure during the lock = %+v; want %d failures, locked until %v", st, maxFailures+1, later.Add(time.Second+lockFor))
	}
}

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
	{"FailuresDuringLockChangeNothing", testFailuresDuringLock},
	{"ExpiredLockStartsNewCount", testExpiredLockStartsNewCount},
	{"NoLockWithoutMax", testNoLockWithoutMax},
	{"ParallelFailuresExact", testParallelFailures},
	{"OnlyLocksAndUnlocksAreNews", testLoginStateNews},
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
	for i := 1; i <= maxFailures; i++ {
		st, err := s.RecordFailedLogin(ctx, u.ID, maxFailures, lockFor, now)
		if err != nil {
			t.Fatalf("RecordFailedLogin %d: %v", i, err)
		}
		if st.FailedLogins != i || st.AlreadyLocked {
			t.Errorf("after failure %d: FailedLogins = %d, AlreadyLocked = %v", i, st.FailedLogins, st.AlreadyLocked)
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
		case i == maxFailures && !sameTime(st.LockedUntil, now.Add(lockFor)):
			t.Errorf("after %d failures of %d: LockedUntil = %v, want %v", i, maxFailures, st.LockedUntil, now.Add(lockFor))
		case i == maxFailures && !got.Locked(now):
			t.Errorf("after %d failures of %d the user is not locked", i, maxFailures)
		}
	}
}

// testFailuresDuringLock: while a lock is in force, a failure changes
// nothing — not the count, the lock time, the Version nor the change feed
// — and says AlreadyLocked, with the stored state; so that wrong
// passwords cannot keep an account locked for ever.
func testFailuresDuringLock(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	u := mustCreate(t, s, newUser("dora"))
	const maxFailures, lockFor = 2, time.Hour
	now := time.Now().Truncate(time.Second)
	for range maxFailures {
		if _, err := s.RecordFailedLogin(ctx, u.ID, maxFailures, lockFor, now); err != nil {
			t.Fatal(err)
		}
	}
	locked := mustGet(t, s, u.ID)
	seq := lastSeq(t, s)
	for _, at := range []time.Duration{0, time.Second, lockFor / 2, lockFor - time.Nanosecond} {
		st, err := s.RecordFailedLogin(ctx, u.ID, maxFailures, lockFor, now.Add(at))
		if err != nil {
			t.Fatalf("RecordFailedLogin %v into the lock: %v", at, err)
		}
		if !st.AlreadyLocked || st.FailedLogins != maxFailures || !sameTime(st.LockedUntil, now.Add(lockFor)) {
			t.Errorf("failure %v into the lock = %+v; want AlreadyLocked, %d failures, locked until %v", at, st, maxFailures, now.Add(lockFor))
		}
	}
	// With another limit, too: a lower one does not lock anew.
	if st, err := s.RecordFailedLogin(ctx, u.ID, 1, 5*lockFor, now.Add(time.Minute)); err != nil || !st.AlreadyLocked {
		t.Errorf("failure during the lock with maxFailures 1 = %+v, %v; want AlreadyLocked", st, err)
	}
	checkUser(t, "after failures during the lock", mustGet(t, s, u.ID), locked)
	if got := events(t, s, seq); len(got) != 0 {
		t.Errorf("failures during the lock recorded changes %v", got)
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

// testParallelFailures is the lock-out rule under load: of 100 concurrent
// failures, the first maxFailures are counted, each caller seeing a
// different count, exactly one of them locks the account, and the rest
// find it locked and change nothing.
func testParallelFailures(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	u := mustCreate(t, s, newUser("vera"))
	const n, maxFailures, lockFor = 100, 37, time.Hour
	now := time.Now().Truncate(time.Second)
	seq := lastSeq(t, s)
	var (
		wg               sync.WaitGroup
		mu               sync.Mutex
		counts           []int
		lockers, refused int
		errs             []error
	)
	for range n {
		wg.Go(func() {
			st, err := s.RecordFailedLogin(ctx, u.ID, maxFailures, lockFor, now)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				errs = append(errs, err)
			case st.AlreadyLocked:
				refused++
				if st.FailedLogins != maxFailures || !sameTime(st.LockedUntil, now.Add(lockFor)) {
					errs = append(errs, fmt.Errorf("a failure refused during the lock returned %+v, want %d failures locked until %v", st, maxFailures, now.Add(lockFor)))
				}
			default:
				counts = append(counts, st.FailedLogins)
				if st.LockedUntil.After(now) {
					lockers++
				}
				if locked := !st.LockedUntil.IsZero(); locked != (st.FailedLogins >= maxFailures) {
					errs = append(errs, fmt.Errorf("count %d of max %d returned LockedUntil %v", st.FailedLogins, maxFailures, st.LockedUntil))
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	slices.Sort(counts)
	if len(counts) != maxFailures || refused != n-maxFailures {
		t.Fatalf("%d concurrent failures with max %d: %d counted (%v), %d refused as locked; want %d and %d", n, maxFailures, len(counts), counts, refused, maxFailures, n-maxFailures)
	}
	for i, c := range counts {
		if c != i+1 {
			t.Fatalf("the counted calls returned counts %v, want 1 to %d each once", counts, maxFailures)
		}
	}
	if lockers != 1 {
		t.Errorf("%d calls locked the account, want exactly 1", lockers)
	}
	got := mustGet(t, s, u.ID)
	if got.FailedLogins != maxFailures || !sameTime(got.LockedUntil, now.Add(lockFor)) {
		t.Errorf("after %d concurrent failures: FailedLogins %d, LockedUntil %v; want %d, %v", n, got.FailedLogins, got.LockedUntil, maxFailures, now.Add(lockFor))
	}
	if got.Version != u.Version+maxFailures {
		t.Errorf("after %d concurrent failures: Version %d, want %d (one per counted failure)", n, got.Version, u.Version+maxFailures)
	}
	if evs := events(t, s, seq); len(evs) != 1 || evs[0] != (event{userstore.UserUpdated, u.ID, ""}) {
		t.Errorf("%d concurrent failures recorded %v, want the one lock", n, evs)
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
	// While the new lock runs, failures change nothing: it is not extended.
	st, err = s.RecordFailedLogin(ctx, u.ID, maxFailures, lockFor, later.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if !st.AlreadyLocked || st.FailedLogins != maxFailures || !sameTime(st.LockedUntil, later.Add(lockFor)) {
		t.Errorf("failure during the lock = %+v; want AlreadyLocked, %d failures, locked until %v", st, maxFailures, later.Add(lockFor))
	}
	// Once it has run out, a new count starts again.
	st, err = s.RecordFailedLogin(ctx, u.ID, maxFailures, lockFor, later.Add(lockFor+time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if st.AlreadyLocked || st.FailedLogins != 1 || !st.LockedUntil.IsZero() {
		t.Errorf("first failure after the second lock ran out = %+v; want 1 failure and no lock", st)
	}
}

// testLoginStateNews: the login-state writes record a change exactly when
// they set or clear LockedUntil; counting alone is not news, and a write
// that changes nothing does not raise Version either.
func testLoginStateNews(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	u := mustCreate(t, s, newUser("nora"))
	const maxFailures, lockFor = 3, time.Minute
	now := time.Now().Truncate(time.Second)
	past := now.Add(-24 * time.Hour)
	lock := event{userstore.UserUpdated, u.ID, ""}
	fail := func(at time.Time) func() error {
		return func() error {
			_, err := s.RecordFailedLogin(ctx, u.ID, maxFailures, lockFor, at)
			return err
		}
	}
	reset := func() error { return s.ResetFailedLogins(ctx, u.ID) }
	steps := []struct {
		name    string
		do      func() error
		want    []event
		version bool // whether Version must rise; otherwise it must stay
	}{
		{"reset of a clean account", reset, nil, false},
		{"first failure", fail(now), nil, true},
		{"second failure", fail(now), nil, true},
		{"reset of a count", reset, nil, true},
		{"failure 1 of 3", fail(now), nil, true},
		{"failure 2 of 3", fail(now), nil, true},
		{"failure 3 of 3 locks", fail(now), []event{lock}, true},
		{"failure during the lock", fail(now.Add(time.Second)), nil, false},
		{"reset of the lock", reset, []event{lock}, true},
		{"failure 1 of 3 again", fail(now), nil, true},
		{"failure 2 of 3 again", fail(now), nil, true},
		{"failure 3 of 3 locks again", fail(now), []event{lock}, true},
		{"first failure after the lock ran out", fail(now.Add(lockFor)), nil, true},
		{"failure 2 of 3 of the new series", fail(now.Add(lockFor)), nil, true},
		{"failure 3 of 3 of the new series", fail(now.Add(lockFor)), []event{lock}, true},
		{"reset of the new lock", reset, []event{lock}, true},
		// A lock set in the past, which has run out by the store's clock.
		{"failure 1 of 3, long ago", fail(past), nil, true},
		{"failure 2 of 3, long ago", fail(past), nil, true},
		{"failure 3 of 3, long ago", fail(past), []event{lock}, true},
		{"reset of a lock that has run out", reset, []event{lock}, true},
	}
	seq, version := lastSeq(t, s), u.Version
	for _, step := range steps {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		got := events(t, s, seq)
		if !slices.Equal(got, step.want) {
			t.Errorf("%s recorded %v, want %v", step.name, got, step.want)
		}
		if c := changes(t, s, seq); len(c) > 0 {
			seq = c[len(c)-1].Seq
		}
		v := mustGet(t, s, u.ID).Version
		if (step.version && v <= version) || (!step.version && v != version) {
			t.Errorf("%s: Version %d after %d, want it to %s", step.name, v, version, map[bool]string{true: "rise", false: "stay"}[step.version])
		}
		version = v
	}
}

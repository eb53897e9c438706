package storetest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/usher-sdk/usher/userstore"
)

// RunSyncWriter checks a store's userstore.SyncWriter capability (batch
// writes of directory users). Run it beside Run; each subtest makes a
// fresh store with newStore and skips when the store does not implement
// the capability, so it is safe to call for any store.
func RunSyncWriter(t *testing.T, newStore func(t *testing.T) userstore.Store) {
	t.Helper()
	for _, tt := range syncWriterTests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			if s == nil {
				t.Fatal("newStore returned nil")
			}
			w, ok := s.(userstore.SyncWriter)
			if !ok {
				t.Skipf("%T does not implement userstore.SyncWriter", s)
			}
			tt.run(t, s, w)
		})
	}
}

var syncWriterTests = []struct {
	name string
	run  func(t *testing.T, s userstore.Store, w userstore.SyncWriter)
}{
	{"CreateThenUpdate", testSyncCreateThenUpdate},
	{"NothingToDoWritesNothing", testSyncIdempotent},
	{"ErrorWritesNothing", testSyncAllOrNothing},
	{"OrderOfTheBatch", testSyncOrder},
	{"MatchesBySourceAndExternalID", testSyncMatching},
	{"Parallel", testSyncParallel},
	{"Closed", testSyncClosed},
	{"GroupsGetIDs", testSyncGroupIDs},
	{"SetsNoRoles", testSyncSetsNoRoles},
	{"ParallelWithGroupUpdates", testSyncParallelGroupUpdates},
	{"NewIsOnlyAHint", testSyncNewIsOnlyAHint},
}

// testSyncNewIsOnlyAHint marks stored users New: the batch does what it
// does unmarked (SyncedUser.New never changes what a batch writes).
func testSyncNewIsOnlyAHint(t *testing.T, s userstore.Store, w userstore.SyncWriter) {
	first := mustUpsert(t, w, synced("1", "one", "g"), synced("2", "two"))
	seq := lastSeq(t, s)
	batch := []userstore.SyncedUser{synced("1", "one", "g"), synced("2", "two", "h"), synced("3", "three")}
	for i := range batch {
		batch[i].New = true
	}
	out := mustUpsert(t, w, batch...)
	checkUser(t, "a stored user marked New, unchanged", out[0], first[0])
	if out[1].ID != first[1].ID || out[1].Version != first[1].Version || !slices.Equal(out[1].Groups, []string{"h"}) {
		t.Errorf("a stored user marked New, in a new group: got ID %s version %d groups %q; want ID %s version %d groups [h]",
			out[1].ID, out[1].Version, out[1].Groups, first[1].ID, first[1].Version)
	}
	var created int
	for _, e := range events(t, s, seq) {
		if e.Kind == userstore.UserCreated {
			created++
		}
	}
	if created != 1 {
		t.Errorf("%d users created; want 1 (the one not stored)", created)
	}
}

// testSyncParallelGroupUpdates runs batches that move users between groups
// while UpdateGroupByID adds and removes the same users: no update may fail,
// and no batch either (a store that takes row locks must not deadlock, or
// must retry when it does; a membership a concurrent writer added between
// a batch's read and its write is not a conflict).
func testSyncParallelGroupUpdates(t *testing.T, s userstore.Store, w userstore.SyncWriter) {
	ctx := t.Context()
	const users, rounds = 12, 12
	batch := make([]userstore.SyncedUser, users)
	for i := range batch {
		// External IDs in the reverse order of the IDs the store gives.
		batch[i] = synced(fmt.Sprintf("e%02d", users-i), fmt.Sprint("mover", i), "target")
	}
	stored := mustUpsert(t, w, batch...)
	var all []string
	for _, u := range stored {
		all = append(all, u.ID)
	}
	g, err := s.GetGroup(ctx, "target")
	if err != nil {
		t.Fatalf("GetGroup: %v", err)
	}
	_, unexpected := race(2, nil, func(worker int) error {
		for r := range rounds {
			if worker == 0 {
				b := slices.Clone(batch)
				for i := range b {
					b[i].Groups = []string{"target"}
					if (i+r)%2 == 0 {
						b[i].Groups = []string{"elsewhere"}
					}
				}
				if _, err := w.UpsertSynced(ctx, b); err != nil {
					return err
				}
				continue
			}
			cur, err := s.GetGroupByID(ctx, g.ID)
			if err != nil {
				return err
			}
			up := userstore.GroupUpdate{Group: cur}
			if r%2 == 0 {
				up.AddMembers = all
			} else {
				up.RemoveMembers = all
			}
			if _, err := s.UpdateGroupByID(ctx, up); err != nil {
				return err
			}
		}
		return nil
	})
	for _, err := range unexpected {
		t.Errorf("batches racing group updates: %v", err)
	}
}

// testSyncGroupIDs checks that groups a batch creates get IDs and can be
// renamed, and that a batch leaves roles alone.
func testSyncGroupIDs(t *testing.T, s userstore.Store, w userstore.SyncWriter) {
	ctx := t.Context()
	out := mustUpsert(t, w, synced("e1", "one", "Team"), synced("e2", "two", "team", "Other"))
	team, err := s.GetGroup(ctx, "team")
	if err != nil {
		t.Fatalf("GetGroup: %v", err)
	}
	other, err := s.GetGroup(ctx, "other")
	if err != nil {
		t.Fatalf("GetGroup: %v", err)
	}
	if !isGroupID(team.ID) || !isGroupID(other.ID) || team.ID == other.ID {
		t.Errorf("groups a batch created have IDs %q and %q", team.ID, other.ID)
	}
	renamed := team
	renamed.Name = "Crew"
	if _, err := s.UpdateGroupByID(ctx, userstore.GroupUpdate{Group: renamed}); err != nil {
		t.Fatalf("UpdateGroupByID: %v", err)
	}
	if m := memberIDs(t, s, "crew"); !slices.Equal(m, sortedIDs(out[0], out[1])) {
		t.Errorf("members of the renamed group = %q", m)
	}
	u := mustGet(t, s, out[0].ID)
	u.Roles = []string{"kept"}
	if _, err := s.UpdateUser(ctx, u); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	mustUpsert(t, w, synced("e1", "one-renamed", "Crew"))
	if got := mustGet(t, s, out[0].ID); !slices.Equal(got.Roles, []string{"kept"}) || !slices.Equal(got.Groups, []string{"Crew"}) {
		t.Errorf("after a batch: Roles %q, Groups %q; want [kept], [Crew]", got.Roles, got.Groups)
	}
}

// testSyncSetsNoRoles: a batch never sets roles, not even on the users it
// creates, and returns them as stored.
func testSyncSetsNoRoles(t *testing.T, s userstore.Store, w userstore.SyncWriter) {
	su := synced("r1", "roleless")
	su.User.Roles = []string{"given"}
	out := mustUpsert(t, w, su)
	if len(out[0].Roles) != 0 {
		t.Errorf("UpsertSynced returned Roles %q for a new user; want none", out[0].Roles)
	}
	if got := mustGet(t, s, out[0].ID); len(got.Roles) != 0 {
		t.Errorf("stored Roles %q; want none", got.Roles)
	}
}

// synced returns a synced user of source "dir".
func synced(ext, username string, groups ...string) userstore.SyncedUser {
	return userstore.SyncedUser{
		User:   userstore.User{Username: username, Email: username + "@example.com", Enabled: true, Source: "dir", ExternalID: ext},
		Groups: groups,
	}
}

// mustUpsert writes a batch or stops the test.
func mustUpsert(t *testing.T, w userstore.SyncWriter, batch ...userstore.SyncedUser) []userstore.User {
	t.Helper()
	out, err := w.UpsertSynced(t.Context(), batch)
	if err != nil {
		t.Fatalf("UpsertSynced: %v", err)
	}
	if len(out) != len(batch) {
		t.Fatalf("UpsertSynced returned %d users for %d", len(out), len(batch))
	}
	return out
}

// events returns the events after seq without their Seq and time.
func events(t *testing.T, s userstore.Store, after int64) []event {
	t.Helper()
	var out []event
	for _, c := range changes(t, s, after) {
		out = append(out, event{c.Kind, c.UserID, c.Group})
	}
	return out
}

func checkEvents(t *testing.T, what string, got, want []event) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: change feed\n\tgot  %v\n\twant %v", what, got, want)
	}
}

func testSyncCreateThenUpdate(t *testing.T, s userstore.Store, w userstore.SyncWriter) {
	ctx := t.Context()
	if _, err := s.CreateGroup(ctx, userstore.Group{Name: "staff", Description: "kept"}); err != nil {
		t.Fatal(err)
	}
	seq := lastSeq(t, s)

	a := synced("a-1", "Ann", "staff", "Eng", "eng")
	a.User.Phone, a.User.DisplayName = "+41 1", "Ann A."
	a.User.Attributes = map[string]string{"keep": "1", "dropped": ""}
	b := synced("b-1", "bob")
	out := mustUpsert(t, w, a, b)
	for i, u := range out {
		if u.ID == "" || u.Version != 1 {
			t.Errorf("created user %d: ID %q, Version %d; want an ID and Version 1", i, u.ID, u.Version)
		}
		checkUser(t, fmt.Sprintf("GetUser of created user %d", i), mustGet(t, s, u.ID), u)
	}
	wantA := a.User
	wantA.ID, wantA.Version, wantA.CreatedAt, wantA.UpdatedAt = out[0].ID, 1, out[0].CreatedAt, out[0].UpdatedAt
	wantA.Groups = []string{"Eng", "staff"}
	wantA.Attributes = map[string]string{"keep": "1"}
	checkUser(t, "created user", out[0], wantA)
	checkEvents(t, "first batch", events(t, s, seq), []event{
		{userstore.UserCreated, out[0].ID, ""},
		{userstore.GroupCreated, "", "Eng"},
		{userstore.MemberAdded, out[0].ID, "Eng"},
		{userstore.MemberAdded, out[0].ID, "staff"},
		{userstore.UserCreated, out[1].ID, ""},
	})
	if g, err := s.GetGroup(ctx, "staff"); err != nil || g.Description != "kept" {
		t.Errorf("GetGroup(staff) = %+v, %v; want the existing group, unchanged", g, err)
	}

	// Local state a sync does not own survives an update.
	if err := s.SetPassword(ctx, out[0].ID, out[0].PasswordHash, "$test$pw", false); err != nil {
		t.Fatal(err)
	}
	before := mustGet(t, s, out[0].ID)
	seq = lastSeq(t, s)
	a.User.Username, a.User.DisplayName, a.User.Enabled = "ann2", "Ann B.", false
	a.User.PasswordHash, a.User.GivenName = "$ignored$", "ignored"
	a.User.Attributes = map[string]string{"keep": "", "new": "x"}
	a.Groups = []string{"staff"}
	out2 := mustUpsert(t, w, a, b)
	want := before
	want.Username, want.DisplayName, want.Enabled = "ann2", "Ann B.", false
	want.Attributes = map[string]string{"new": "x"}
	want.Groups = []string{"staff"}
	want.Version, want.UpdatedAt = before.Version+1, out2[0].UpdatedAt
	checkUser(t, "updated user", out2[0], want)
	checkUser(t, "GetUser of updated user", mustGet(t, s, out[0].ID), want)
	checkUser(t, "unchanged user", out2[1], mustGet(t, s, out[1].ID))
	if out2[1].Version != 1 {
		t.Errorf("an unchanged user's Version moved to %d", out2[1].Version)
	}
	checkEvents(t, "second batch", events(t, s, seq), []event{
		{userstore.UserUpdated, out[0].ID, ""},
		{userstore.MemberRemoved, out[0].ID, "Eng"},
	})
	if _, err := s.GetUserByUsername(ctx, "ann"); !isNotFound(err) {
		t.Errorf("the old username still finds a user: %v", err)
	}
}

func testSyncIdempotent(t *testing.T, s userstore.Store, w userstore.SyncWriter) {
	batch := []userstore.SyncedUser{synced("1", "one", "g"), synced("2", "two")}
	first := mustUpsert(t, w, batch...)
	seq := lastSeq(t, s)
	again := mustUpsert(t, w, batch...)
	checkEvents(t, "the same batch again", events(t, s, seq), nil)
	for i := range first {
		checkUser(t, "the same batch again", again[i], first[i])
	}
	if got, err := w.UpsertSynced(t.Context(), nil); err != nil || len(got) != 0 {
		t.Errorf("UpsertSynced(nil) = %v, %v; want nothing", got, err)
	}
	checkEvents(t, "an empty batch", events(t, s, seq), nil)
}

func testSyncAllOrNothing(t *testing.T, s userstore.Store, w userstore.SyncWriter) {
	ctx := t.Context()
	mustCreate(t, s, newUser("taken"))
	tests := []struct {
		name   string
		batch  []userstore.SyncedUser
		bad    int
		target error
	}{
		{"TakenUsername", []userstore.SyncedUser{synced("x1", "fresh", "new-group"), synced("x2", "TAKEN")}, 1, userstore.ErrConflict},
		{"EmptyExternalID", []userstore.SyncedUser{synced("x1", "fresh"), synced("", "other")}, 1, userstore.ErrInvalid},
		{"InvalidUsername", []userstore.SyncedUser{synced("x1", "fresh"), synced("x2", " space")}, 1, userstore.ErrInvalid},
		{"InvalidEmail", []userstore.SyncedUser{{User: userstore.User{Username: "u", Email: "not an address", Source: "dir", ExternalID: "x0"}}}, 0, userstore.ErrInvalid},
		{"InvalidGroup", []userstore.SyncedUser{synced("x1", "fresh", "ok", "")}, 0, userstore.ErrInvalid},
		{"SameExternalIDTwice", []userstore.SyncedUser{synced("x1", "fresh"), synced("x1", "fresh2")}, 1, userstore.ErrInvalid},
		{"NameTakenInTheBatch", []userstore.SyncedUser{synced("x1", "fresh"), synced("x2", "Fresh")}, 1, userstore.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seq := lastSeq(t, s)
			_, err := w.UpsertSynced(ctx, tt.batch)
			checkErr(t, "UpsertSynced", err, tt.target)
			var se *userstore.SyncedError
			if !errors.As(err, &se) {
				t.Fatalf("UpsertSynced: error %v is not a *userstore.SyncedError", err)
			}
			if se.Index != tt.bad || se.ExternalID != tt.batch[tt.bad].User.ExternalID {
				t.Errorf("SyncedError names user %d (%q), want %d", se.Index, se.ExternalID, tt.bad)
			}
			checkEvents(t, "after a failed batch", events(t, s, seq), nil)
			if _, err := s.GetUserByExternalID(ctx, "dir", "x1"); !isNotFound(err) {
				t.Errorf("a user of a failed batch was stored: %v", err)
			}
			if _, err := s.GetGroup(ctx, "new-group"); !isNotFound(err) {
				t.Errorf("a group of a failed batch was stored: %v", err)
			}
		})
	}
}

// testSyncOrder checks that a batch acts as its users applied in order: a
// username freed by an earlier user is free for a later one, not the
// other way round.
func testSyncOrder(t *testing.T, s userstore.Store, w userstore.SyncWriter) {
	ctx := t.Context()
	pat := mustUpsert(t, w, synced("p", "pat"))[0]
	_, err := w.UpsertSynced(ctx, []userstore.SyncedUser{synced("q", "pat"), synced("p", "pat2")})
	checkErr(t, "taking a name before its holder gives it up", err, userstore.ErrConflict)
	out := mustUpsert(t, w, synced("p", "pat2"), synced("q", "pat"))
	if out[0].ID != pat.ID || out[0].Username != "pat2" || out[1].Username != "pat" || out[1].ID == pat.ID {
		t.Errorf("rename then create: got %+v", out)
	}
	if u, err := s.GetUserByUsername(ctx, "pat"); err != nil || u.ExternalID != "q" {
		t.Errorf("GetUserByUsername(pat) = %q, %v; want the new user q", u.ExternalID, err)
	}
}

func testSyncMatching(t *testing.T, s userstore.Store, w userstore.SyncWriter) {
	ctx := t.Context()
	// A user created one by one with a source and external ID is the same
	// user to a sync.
	local := newUser("lee")
	local.Source, local.ExternalID, local.PasswordHash = "dir", "l-1", "$test$pw"
	local = mustCreate(t, s, local)
	one := synced("l-1", "lee")
	one.User.DisplayName = "Lee"
	other := synced("l-1", "lee-b")
	other.User.Source = "other"
	out := mustUpsert(t, w, one, other)
	if out[0].ID != local.ID || out[0].PasswordHash != "$test$pw" || out[0].DisplayName != "Lee" {
		t.Errorf("the synced user did not update the stored one: %+v", out[0])
	}
	if out[1].ID == local.ID {
		t.Error("a user of another source with the same external ID was matched")
	}
	for _, u := range out {
		got, err := s.GetUserByExternalID(ctx, u.Source, u.ExternalID)
		if err != nil || got.ID != u.ID {
			t.Errorf("GetUserByExternalID(%q, %q) = %q, %v; want %q", u.Source, u.ExternalID, got.ID, err, u.ID)
		}
	}
}

func testSyncParallel(t *testing.T, s userstore.Store, w userstore.SyncWriter) {
	const workers, users = 4, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for g := range workers {
		wg.Go(func() {
			batch := make([]userstore.SyncedUser, users)
			for i := range batch {
				batch[i] = synced(fmt.Sprint("e", i), fmt.Sprint("user", i), fmt.Sprint("g", i%3))
				batch[i].User.DisplayName = fmt.Sprint("written by ", g)
			}
			_, err := w.UpsertSynced(t.Context(), batch)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("UpsertSynced: %v", err)
		}
	}
	all := mustCollect(t, "ListUsers", s.ListUsers(t.Context(), userstore.ListOptions{Source: "dir"}))
	byExt := map[string]int{}
	for _, u := range all {
		byExt[u.ExternalID]++
	}
	if len(all) != users || len(byExt) != users {
		t.Errorf("parallel batches of the same %d users stored %d users (%v)", users, len(all), slices.Sorted(maps.Keys(byExt)))
	}
}

func testSyncClosed(t *testing.T, s userstore.Store, w userstore.SyncWriter) {
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := w.UpsertSynced(t.Context(), []userstore.SyncedUser{synced("c", "closed")})
	checkErr(t, "UpsertSynced after Close", err, userstore.ErrClosed)
}

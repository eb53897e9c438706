package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/usher-sdk/usher/userstore"
)

var changeTests = []test{
	{"EveryWriteRecorded", testChangeKinds},
	{"Cursor", testChangeCursor},
}

// event is what the suite checks of a change.
type event struct {
	Kind   userstore.ChangeKind
	UserID string
	Group  string
}

func (e event) String() string {
	return fmt.Sprintf("%s(user %q, group %q)", e.Kind, e.UserID, e.Group)
}

func testChangeKinds(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	var a userstore.User
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var g1 userstore.Group
	steps := []struct {
		name string
		do   func()
		want func() []event
		// optional are events a store may or may not record in this step.
		optional func() []event
	}{
		{"CreateUser", func() { a = mustCreate(t, s, newUser("quinn")) },
			func() []event { return []event{{userstore.UserCreated, a.ID, ""}} }, nil},
		{"UpdateUser", func() {
			a.DisplayName = "Quinn"
			var err error
			a, err = s.UpdateUser(ctx, a)
			must(err)
		}, func() []event { return []event{{userstore.UserUpdated, a.ID, ""}} }, nil},
		{"CreateGroup", func() {
			var err error
			g1, err = s.CreateGroup(ctx, userstore.Group{Name: "g1"})
			must(err)
		}, func() []event { return []event{{userstore.GroupCreated, "", "g1"}} }, nil},
		{"AddMember", func() { must(s.AddMember(ctx, "g1", a.ID)) },
			func() []event { return []event{{userstore.MemberAdded, a.ID, "g1"}} }, nil},
		{"UpdateGroup", func() {
			g1.Description = "first"
			_, err := s.UpdateGroup(ctx, g1)
			must(err)
		}, func() []event { return []event{{userstore.GroupUpdated, "", "g1"}} }, nil},
		{"RemoveMember", func() { must(s.RemoveMember(ctx, "g1", a.ID)) },
			func() []event { return []event{{userstore.MemberRemoved, a.ID, "g1"}} }, nil},
		{"SetPassword", func() { must(s.SetPassword(ctx, a.ID, a.PasswordHash, "$h$", true)) },
			func() []event { return []event{{userstore.UserUpdated, a.ID, ""}} }, nil},
		{"RecordFailedLogin that counts", func() {
			_, err := s.RecordFailedLogin(ctx, a.ID, 5, time.Minute, time.Now())
			must(err)
		}, func() []event { return nil }, nil},
		{"ResetFailedLogins of a count", func() { must(s.ResetFailedLogins(ctx, a.ID)) },
			func() []event { return nil }, nil},
		{"RecordFailedLogin that locks", func() {
			_, err := s.RecordFailedLogin(ctx, a.ID, 1, time.Minute, time.Now())
			must(err)
		}, func() []event { return []event{{userstore.UserUpdated, a.ID, ""}} }, nil},
		{"RecordFailedLogin during the lock", func() {
			_, err := s.RecordFailedLogin(ctx, a.ID, 1, time.Minute, time.Now())
			must(err)
		}, func() []event { return nil }, nil},
		{"ResetFailedLogins of a lock", func() { must(s.ResetFailedLogins(ctx, a.ID)) },
			func() []event { return []event{{userstore.UserUpdated, a.ID, ""}} }, nil},
		{"SetUserGroups creating a group", func() { must(s.SetUserGroups(ctx, a.ID, []string{"g2"})) },
			func() []event {
				return []event{{userstore.GroupCreated, "", "g2"}, {userstore.MemberAdded, a.ID, "g2"}}
			}, nil},
		{"SetUserGroups changing groups", func() { must(s.SetUserGroups(ctx, a.ID, []string{"g1"})) },
			func() []event {
				return []event{{userstore.MemberRemoved, a.ID, "g2"}, {userstore.MemberAdded, a.ID, "g1"}}
			}, nil},
		{"SetUserGroups adding a group", func() { must(s.SetUserGroups(ctx, a.ID, []string{"g1", "g2"})) },
			func() []event { return []event{{userstore.MemberAdded, a.ID, "g2"}} }, nil},
		{"DeleteGroup", func() { must(s.DeleteGroup(ctx, "g1")) },
			func() []event { return []event{{userstore.GroupDeleted, "", "g1"}} },
			func() []event { return []event{{userstore.MemberRemoved, a.ID, "g1"}} }},
		{"DeleteUser", func() { must(s.DeleteUser(ctx, a.ID)) },
			func() []event { return []event{{userstore.UserDeleted, a.ID, ""}} },
			func() []event { return []event{{userstore.MemberRemoved, a.ID, "g2"}} }},
	}
	var seq int64
	for _, step := range steps {
		step.do()
		got := changes(t, s, seq)
		var evs []event
		for _, c := range got {
			evs = append(evs, event{c.Kind, c.UserID, c.Group})
			seq = c.Seq
		}
		want := step.want()
		var optional []event
		if step.optional != nil {
			optional = step.optional()
		}
		if !sameEvents(evs, want, optional) {
			t.Errorf("%s recorded %v, want %v (and may record %v)", step.name, evs, want, optional)
		}
		if step.name == "SetUserGroups creating a group" && len(evs) == 2 && evs[0].Kind != userstore.GroupCreated {
			t.Errorf("%s: member.added came before group.created: %v", step.name, evs)
		}
	}

	// The whole feed is in ascending Seq order and dated.
	all := changes(t, s, 0)
	for i, c := range all {
		if i > 0 && c.Seq <= all[i-1].Seq {
			t.Errorf("Seq %d follows %d", c.Seq, all[i-1].Seq)
		}
		if c.At.IsZero() || c.At.After(time.Now().Add(clockSkew)) {
			t.Errorf("change %d has At %v", c.Seq, c.At)
		}
	}
}

// sameEvents reports whether got holds every event of want, in any order,
// and nothing else but events of optional.
func sameEvents(got, want, optional []event) bool {
	rest := slices.Clone(got)
	for _, w := range want {
		i := slices.Index(rest, w)
		if i < 0 {
			return false
		}
		rest = slices.Delete(rest, i, i+1)
	}
	for _, r := range rest {
		if !slices.Contains(optional, r) {
			return false
		}
	}
	return true
}

func testChangeCursor(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	if got := changes(t, s, 0); len(got) != 0 {
		t.Errorf("a new store has %d changes", len(got))
	}
	createN(t, s, "feed", 6)
	all := changes(t, s, 0)
	if len(all) != 6 {
		t.Fatalf("6 creates recorded %d changes", len(all))
	}
	for k := range all {
		rest := changes(t, s, all[k].Seq)
		if !slices.Equal(rest, all[k+1:]) {
			t.Errorf("Changes(%d) = %v, want %v", all[k].Seq, rest, all[k+1:])
		}
	}
	last := all[len(all)-1].Seq
	more := createN(t, s, "more", 2)
	got := changes(t, s, last)
	if len(got) != 2 || got[0].UserID != more[0].ID || got[1].UserID != more[1].ID || got[0].Seq <= last {
		t.Errorf("Changes(%d) after two more creates = %v", last, got)
	}
	if got := changes(t, s, got[len(got)-1].Seq); len(got) != 0 {
		t.Errorf("Changes after the last event = %v", got)
	}
	n := 0
	for _, err := range s.Changes(ctx, 0) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 3 {
			break
		}
	}
}

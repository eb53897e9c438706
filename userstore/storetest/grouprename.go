package storetest

import (
	"errors"
	"slices"
	"testing"

	"github.com/usher-sdk/usher/userstore"
)

var groupIDTests = []test{
	{"IDsAreStable", testGroupIDs},
	{"RenameKeepsMembers", testGroupRename},
	{"RenameToATakenNameChangesNothing", testGroupRenameTaken},
	{"StaleVersionChangesNothing", testGroupUpdateStale},
	{"UpdateByIDIsAtomic", testGroupUpdateAtomic},
	{"UpdateByIDWithNothingToDo", testGroupUpdateNoop},
	{"ChangesCarryGroupID", testGroupChangeIDs},
	{"ConcurrentUpdatesDoNotDeadlock", testGroupUpdateConcurrent},
	{"UpdateRacingDelete", testGroupUpdateDelete},
}

// isGroupID reports whether id is 32 lower-case hex digits.
func isGroupID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for _, c := range id {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func mustCreateGroup(t *testing.T, s userstore.Store, g userstore.Group) userstore.Group {
	t.Helper()
	out, err := s.CreateGroup(t.Context(), g)
	if err != nil {
		t.Fatalf("CreateGroup(%q): %v", g.Name, err)
	}
	return out
}

func mustGroupByID(t *testing.T, s userstore.Store, id string) userstore.Group {
	t.Helper()
	g, err := s.GetGroupByID(t.Context(), id)
	if err != nil {
		t.Fatalf("GetGroupByID(%q): %v", id, err)
	}
	return g
}

// memberIDs lists the IDs of a group's members.
func memberIDs(t *testing.T, s userstore.Store, group string) []string {
	t.Helper()
	return ids(mustCollect(t, "ListMembers", s.ListMembers(t.Context(), group)))
}

func testGroupIDs(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	a := mustCreateGroup(t, s, userstore.Group{ID: "given-and-ignored", Name: "Alpha"})
	if !isGroupID(a.ID) {
		t.Errorf("CreateGroup: ID %q is not 32 lower-case hex digits", a.ID)
	}
	u := mustCreate(t, s, newUser("member"))
	if err := s.SetUserGroups(ctx, u.ID, []string{"Beta"}); err != nil {
		t.Fatalf("SetUserGroups: %v", err)
	}
	b, err := s.GetGroup(ctx, "beta")
	if err != nil {
		t.Fatalf("GetGroup: %v", err)
	}
	if !isGroupID(b.ID) || b.ID == a.ID {
		t.Errorf("a group SetUserGroups created has ID %q (the other %q)", b.ID, a.ID)
	}
	for _, g := range []userstore.Group{a, b} {
		byName, err := s.GetGroup(ctx, g.Name)
		if err != nil || byName.ID != g.ID {
			t.Errorf("GetGroup(%q).ID = %q, %v; want %q", g.Name, byName.ID, err, g.ID)
		}
		if byID := mustGroupByID(t, s, g.ID); byID.Name != g.Name || byID.Version != g.Version {
			t.Errorf("GetGroupByID(%q) = %+v, want %+v", g.ID, byID, g)
		}
	}
	var listed []string
	for _, g := range mustCollect(t, "ListGroups", s.ListGroups(ctx)) {
		listed = append(listed, g.ID)
	}
	if want := []string{a.ID, b.ID}; !slices.Equal(listed, want) {
		t.Errorf("ListGroups IDs = %q, want %q", listed, want)
	}
	upd := a
	upd.Description = "changed"
	if got, err := s.UpdateGroup(ctx, upd); err != nil || got.ID != a.ID {
		t.Errorf("UpdateGroup: ID %q, %v; want %q", got.ID, err, a.ID)
	}
	_, err = s.GetGroupByID(ctx, "0123456789abcdef0123456789abcdef")
	checkErr(t, "GetGroupByID of an unknown ID", err, userstore.ErrNotFound)
	_, err = s.GetGroupByID(ctx, "")
	checkErr(t, "GetGroupByID of an empty ID", err, userstore.ErrNotFound)
	if err := s.DeleteGroup(ctx, "alpha"); err != nil {
		t.Fatalf("DeleteGroup: %v", err)
	}
	_, err = s.GetGroupByID(ctx, a.ID)
	checkErr(t, "GetGroupByID of a deleted group", err, userstore.ErrNotFound)
}

func testGroupRename(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	g := mustCreateGroup(t, s, userstore.Group{Name: "Old Name", Description: "d", Metadata: map[string]string{"k": "v"}})
	a, b := mustCreate(t, s, newUser("a")), mustCreate(t, s, newUser("b"))
	mustCreate(t, s, newUser("c"))
	for _, u := range []userstore.User{a, b} {
		if err := s.AddMember(ctx, "old name", u.ID); err != nil {
			t.Fatalf("AddMember: %v", err)
		}
	}
	seq := lastSeq(t, s)
	next := g
	next.Name = "New Name"
	got, err := s.UpdateGroupByID(ctx, userstore.GroupUpdate{Group: next})
	if err != nil {
		t.Fatalf("UpdateGroupByID renaming: %v", err)
	}
	if got.ID != g.ID || got.Name != "New Name" || got.Version != g.Version+1 || got.Description != "d" || got.Metadata["k"] != "v" {
		t.Errorf("UpdateGroupByID = %+v, want the same ID %q, name %q, Version %d", got, g.ID, "New Name", g.Version+1)
	}
	if byID := mustGroupByID(t, s, g.ID); byID.Name != "New Name" || byID.Version != got.Version {
		t.Errorf("GetGroupByID after the rename = %+v", byID)
	}
	if byName, err := s.GetGroup(ctx, "NEW NAME"); err != nil || byName.ID != g.ID {
		t.Errorf("GetGroup of the new name = %+v, %v", byName, err)
	}
	_, err = s.GetGroup(ctx, "Old Name")
	checkErr(t, "GetGroup of the old name", err, userstore.ErrNotFound)
	if m := memberIDs(t, s, "new name"); !slices.Equal(m, sortedIDs(a, b)) {
		t.Errorf("members after the rename = %q, want %q", m, sortedIDs(a, b))
	}
	if groups := mustGet(t, s, a.ID).Groups; !slices.Equal(groups, []string{"New Name"}) {
		t.Errorf("a member's Groups after the rename = %q", groups)
	}
	if l := ids(mustCollect(t, "ListUsers", s.ListUsers(ctx, userstore.ListOptions{Group: "New Name"}))); !slices.Equal(l, sortedIDs(a, b)) {
		t.Errorf("ListUsers(Group: new name) = %q", l)
	}
	c := changes(t, s, seq)
	if len(c) != 1 || c[0].Kind != userstore.GroupUpdated || c[0].Group != "New Name" || c[0].GroupID != g.ID {
		t.Errorf("changes of a rename = %+v, want one group.updated of %q with GroupID %q", c, "New Name", g.ID)
	}
	// The old name is free again; a change of case only is a rename too.
	mustCreateGroup(t, s, userstore.Group{Name: "old name"})
	got.Name = "NEW name"
	again, err := s.UpdateGroupByID(ctx, userstore.GroupUpdate{Group: got})
	if err != nil || again.Name != "NEW name" {
		t.Fatalf("UpdateGroupByID changing case: %+v, %v", again, err)
	}
	if m := memberIDs(t, s, "new name"); !slices.Equal(m, sortedIDs(a, b)) {
		t.Errorf("members after a change of case = %q", m)
	}
	if err := s.RemoveMember(ctx, "New Name", a.ID); err != nil {
		t.Fatalf("RemoveMember by the new name: %v", err)
	}
	if err := s.DeleteGroup(ctx, "new NAME"); err != nil {
		t.Fatalf("DeleteGroup by the new name: %v", err)
	}
	if g := mustGet(t, s, b.ID).Groups; len(g) != 0 {
		t.Errorf("after the renamed group was deleted its member has groups %q", g)
	}
}

func testGroupRenameTaken(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	g := mustCreateGroup(t, s, userstore.Group{Name: "first"})
	other := mustCreateGroup(t, s, userstore.Group{Name: "Second"})
	u := mustCreate(t, s, newUser("u"))
	if err := s.AddMember(ctx, "first", u.ID); err != nil {
		t.Fatalf("AddMember: %v", err)
	}
	seq := lastSeq(t, s)
	next := g
	next.Name = "SECOND"
	next.Description = "not written"
	_, err := s.UpdateGroupByID(ctx, userstore.GroupUpdate{Group: next, RemoveMembers: []string{u.ID}})
	checkErr(t, "UpdateGroupByID to a taken name", err, userstore.ErrConflict)
	if got := mustGroupByID(t, s, g.ID); got.Name != "first" || got.Version != g.Version || got.Description != "" {
		t.Errorf("the group after a refused rename = %+v", got)
	}
	if got := mustGroupByID(t, s, other.ID); got.Name != "Second" || got.Version != other.Version {
		t.Errorf("the other group after a refused rename = %+v", got)
	}
	if m := memberIDs(t, s, "first"); !slices.Equal(m, []string{u.ID}) {
		t.Errorf("members after a refused rename = %q", m)
	}
	if c := changes(t, s, seq); len(c) != 0 {
		t.Errorf("a refused rename recorded %+v", c)
	}
	bad := g
	bad.Name = " spaced"
	_, err = s.UpdateGroupByID(ctx, userstore.GroupUpdate{Group: bad})
	checkErr(t, "UpdateGroupByID to an invalid name", err, userstore.ErrInvalid)
}

func testGroupUpdateStale(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	g := mustCreateGroup(t, s, userstore.Group{Name: "team"})
	u := mustCreate(t, s, newUser("u"))
	upd := g
	upd.Description = "moved on"
	if _, err := s.UpdateGroup(ctx, upd); err != nil {
		t.Fatalf("UpdateGroup: %v", err)
	}
	seq := lastSeq(t, s)
	stale := g
	stale.Name = "renamed"
	_, err := s.UpdateGroupByID(ctx, userstore.GroupUpdate{Group: stale, AddMembers: []string{u.ID}})
	checkErr(t, "UpdateGroupByID at a stale version", err, userstore.ErrVersionConflict)
	if got := mustGroupByID(t, s, g.ID); got.Name != "team" || got.Description != "moved on" {
		t.Errorf("the group after a stale update = %+v", got)
	}
	if m := memberIDs(t, s, "team"); len(m) != 0 {
		t.Errorf("a stale update added members %q", m)
	}
	if c := changes(t, s, seq); len(c) != 0 {
		t.Errorf("a stale update recorded %+v", c)
	}
	missing := g
	missing.ID = "0123456789abcdef0123456789abcdef"
	_, err = s.UpdateGroupByID(ctx, userstore.GroupUpdate{Group: missing})
	checkErr(t, "UpdateGroupByID of an unknown group", err, userstore.ErrNotFound)
}

func testGroupUpdateAtomic(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	g := mustCreateGroup(t, s, userstore.Group{Name: "ops"})
	a, b, c := mustCreate(t, s, newUser("a")), mustCreate(t, s, newUser("b")), mustCreate(t, s, newUser("c"))
	if err := s.AddMember(ctx, "ops", a.ID); err != nil {
		t.Fatalf("AddMember: %v", err)
	}
	seq := lastSeq(t, s)
	next := g
	next.Name = "operations"
	_, err := s.UpdateGroupByID(ctx, userstore.GroupUpdate{Group: next, AddMembers: []string{b.ID, "no-such-user"}, RemoveMembers: []string{a.ID}})
	checkErr(t, "UpdateGroupByID adding an unknown user", err, userstore.ErrNotFound)
	_, err = s.UpdateGroupByID(ctx, userstore.GroupUpdate{Group: next, AddMembers: []string{b.ID}, RemoveMembers: []string{b.ID}})
	checkErr(t, "UpdateGroupByID adding and removing one user", err, userstore.ErrInvalid)
	if got := mustGroupByID(t, s, g.ID); got.Name != "ops" || got.Version != g.Version {
		t.Errorf("the group after failed updates = %+v", got)
	}
	if m := memberIDs(t, s, "ops"); !slices.Equal(m, []string{a.ID}) {
		t.Errorf("members after failed updates = %q", m)
	}
	if ch := changes(t, s, seq); len(ch) != 0 {
		t.Errorf("failed updates recorded %+v", ch)
	}

	got, err := s.UpdateGroupByID(ctx, userstore.GroupUpdate{Group: next, AddMembers: []string{c.ID, b.ID}, RemoveMembers: []string{a.ID, "not-a-member"}})
	if err != nil {
		t.Fatalf("UpdateGroupByID: %v", err)
	}
	if got.Name != "operations" {
		t.Errorf("UpdateGroupByID = %+v", got)
	}
	if m := memberIDs(t, s, "operations"); !slices.Equal(m, sortedIDs(b, c)) {
		t.Errorf("members = %q, want %q", m, sortedIDs(b, c))
	}
	var kinds []string
	for _, ch := range changes(t, s, seq) {
		kinds = append(kinds, string(ch.Kind)+" "+ch.UserID)
		if ch.Group != "operations" || ch.GroupID != g.ID {
			t.Errorf("change %+v: want group %q, GroupID %q", ch, "operations", g.ID)
		}
	}
	added := sortedIDs(b, c)
	want := []string{"group.updated ", "member.removed " + a.ID, "member.added " + added[0], "member.added " + added[1]}
	if !slices.Equal(kinds, want) {
		t.Errorf("changes = %q, want %q", kinds, want)
	}
	// Membership changes alone do not raise Version.
	got2, err := s.UpdateGroupByID(ctx, userstore.GroupUpdate{Group: got, RemoveMembers: []string{c.ID}})
	if err != nil || got2.Version != got.Version {
		t.Errorf("UpdateGroupByID removing a member: Version %d, %v; want %d", got2.Version, err, got.Version)
	}
}

func testGroupUpdateNoop(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	g := mustCreateGroup(t, s, userstore.Group{Name: "same", Description: "d", Metadata: map[string]string{"k": "v"}})
	u := mustCreate(t, s, newUser("u"))
	if err := s.AddMember(ctx, "same", u.ID); err != nil {
		t.Fatalf("AddMember: %v", err)
	}
	seq := lastSeq(t, s)
	for _, up := range []userstore.GroupUpdate{
		{Group: g},
		{Group: userstore.Group{ID: g.ID, Version: g.Version, Description: "d", Metadata: map[string]string{"k": "v"}}}, // empty name keeps it
		{Group: g, AddMembers: []string{u.ID}, RemoveMembers: []string{"not-a-member"}},
	} {
		got, err := s.UpdateGroupByID(ctx, up)
		if err != nil || got.Version != g.Version || got.Name != "same" {
			t.Errorf("UpdateGroupByID(%+v) = %+v, %v; want it unchanged", up, got, err)
		}
	}
	if c := changes(t, s, seq); len(c) != 0 {
		t.Errorf("updates that change nothing recorded %+v", c)
	}
}

func testGroupChangeIDs(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	seq := lastSeq(t, s)
	g := mustCreateGroup(t, s, userstore.Group{Name: "g"})
	u := mustCreate(t, s, newUser("u"))
	if err := s.AddMember(ctx, "g", u.ID); err != nil {
		t.Fatalf("AddMember: %v", err)
	}
	if err := s.RemoveMember(ctx, "g", u.ID); err != nil {
		t.Fatalf("RemoveMember: %v", err)
	}
	if err := s.DeleteGroup(ctx, "g"); err != nil {
		t.Fatalf("DeleteGroup: %v", err)
	}
	for _, c := range changes(t, s, seq) {
		switch c.Kind {
		case userstore.UserCreated:
			if c.GroupID != "" {
				t.Errorf("a user event has GroupID %q", c.GroupID)
			}
		default:
			if c.GroupID != g.ID {
				t.Errorf("%s: GroupID = %q, want %q", c.Kind, c.GroupID, g.ID)
			}
		}
	}
}

// testGroupUpdateConcurrent runs UpdateGroupByID on one group while the
// members' own group lists change with SetUserGroups: no call may fail (a store that takes row locks must take them
// in an order that cannot deadlock), and the memberships end consistent.
func testGroupUpdateConcurrent(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	g := mustCreateGroup(t, s, userstore.Group{Name: "busy"})
	var users []userstore.User
	for i := range 6 {
		users = append(users, mustCreate(t, s, newUser("busy"+string(rune('a'+i)))))
	}
	all := ids(users)
	const rounds = 15
	_, unexpected := race(len(users)+1, nil, func(i int) error {
		for r := range rounds {
			if i == len(users) { // the group's writer
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
				if r%5 == 4 {
					up.Group.Name = "busy-" + string(rune('a'+r))
				}
				if _, err := s.UpdateGroupByID(ctx, up); err != nil && !errors.Is(err, userstore.ErrNotFound) {
					return err // ErrNotFound: a user deleted meanwhile
				}
				continue
			}
			groups := []string{"other"}
			if r%2 == 1 {
				cur, err := s.GetGroupByID(ctx, g.ID)
				if err != nil {
					return err
				}
				groups = append(groups, cur.Name)
			}
			if err := s.SetUserGroups(ctx, users[i].ID, groups); err != nil && !errors.Is(err, userstore.ErrNotFound) {
				return err // the group renamed between the read and the write
			}
		}
		return nil
	})
	for _, err := range unexpected {
		t.Errorf("concurrent group and membership writes: %v", err)
	}
	final := mustGroupByID(t, s, g.ID)
	for _, id := range memberIDs(t, s, final.Name) {
		if !slices.Contains(mustGet(t, s, id).Groups, final.Name) {
			t.Errorf("member %s does not list the group", id)
		}
	}
}

// testGroupUpdateDelete races UpdateGroupByID against DeleteGroup of the
// same group: the update either happens first or finds the group gone
// (ErrNotFound); neither call fails otherwise.
func testGroupUpdateDelete(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	var users []userstore.User
	for i := range 4 {
		users = append(users, mustCreate(t, s, newUser("racer"+string(rune('a'+i)))))
	}
	all := ids(users)
	for round := range 10 {
		name := "doomed-" + string(rune('a'+round))
		g := mustCreateGroup(t, s, userstore.Group{Name: name})
		for _, u := range users[:2] {
			if err := s.AddMember(ctx, name, u.ID); err != nil {
				t.Fatalf("AddMember: %v", err)
			}
		}
		_, unexpected := race(2, userstore.ErrNotFound, func(i int) error {
			if i == 0 {
				return s.DeleteGroup(ctx, name)
			}
			up := userstore.GroupUpdate{Group: g, RemoveMembers: all[:2], AddMembers: all[2:]}
			up.Group.Name = name + "-renamed"
			_, err := s.UpdateGroupByID(ctx, up)
			return err
		})
		for _, err := range unexpected {
			t.Errorf("UpdateGroupByID racing DeleteGroup: %v", err)
		}
		if left, err := s.GetGroupByID(ctx, g.ID); err == nil {
			// The rename won: the delete found the old name gone.
			if err := s.DeleteGroup(ctx, left.Name); err != nil {
				t.Fatalf("DeleteGroup: %v", err)
			}
		}
	}
	for _, u := range users {
		if g := mustGet(t, s, u.ID).Groups; len(g) != 0 {
			t.Errorf("user %s is left in groups %q", u.Username, g)
		}
	}
}

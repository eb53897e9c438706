package storetest

import (
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/usher-sdk/usher/userstore"
)

var groupTests = []test{
	{"CreateGetUpdateDelete", testGroupCRUD},
	{"InvalidName", testGroupInvalid},
	{"Members", testMembers},
	{"DeleteGroupRemovesMemberships", testDeleteGroupMemberships},
	{"SetUserGroups", testSetUserGroups},
}

func testGroupCRUD(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	g, err := s.CreateGroup(ctx, userstore.Group{Name: "Admins", Description: "all admins", Metadata: map[string]string{"owner": "it"}})
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	if g.Name != "Admins" || g.Description != "all admins" || g.Metadata["owner"] != "it" || g.Version != 1 || g.CreatedAt.IsZero() {
		t.Errorf("CreateGroup = %+v", g)
	}
	for _, name := range []string{"Admins", "admins", "ADMINS"} {
		got, err := s.GetGroup(ctx, name)
		if err != nil || got.Name != "Admins" || got.Description != g.Description || !maps.Equal(got.Metadata, g.Metadata) || got.Version != 1 {
			t.Errorf("GetGroup(%q) = %+v, %v", name, got, err)
		}
	}
	_, err = s.GetGroup(ctx, "nobody")
	checkErr(t, "GetGroup of an unknown group", err, userstore.ErrNotFound)
	for _, name := range []string{"Admins", "admins"} {
		_, err = s.CreateGroup(ctx, userstore.Group{Name: name})
		checkErr(t, "CreateGroup("+name+") again", err, userstore.ErrConflict)
	}

	edit := g
	edit.Name = "admins" // any case names the group
	edit.Description, edit.Metadata = "the admins", map[string]string{"owner": "ops", "x": "y"}
	v2, err := s.UpdateGroup(ctx, edit)
	if err != nil {
		t.Fatalf("UpdateGroup: %v", err)
	}
	if v2.Name != "Admins" || v2.Description != "the admins" || !maps.Equal(v2.Metadata, edit.Metadata) || v2.Version <= g.Version {
		t.Errorf("UpdateGroup = %+v", v2)
	}
	if got, err := s.GetGroup(ctx, "admins"); err != nil || got.Description != "the admins" || got.Version != v2.Version {
		t.Errorf("GetGroup after update = %+v, %v", got, err)
	}
	stale := g
	stale.Description = "stale"
	_, err = s.UpdateGroup(ctx, stale)
	checkErr(t, "UpdateGroup with a stale version", err, userstore.ErrVersionConflict)
	_, err = s.UpdateGroup(ctx, userstore.Group{Name: "nobody", Version: 1})
	checkErr(t, "UpdateGroup of an unknown group", err, userstore.ErrNotFound)

	for _, name := range []string{"zeta", "beta", "alpha"} {
		if _, err := s.CreateGroup(ctx, userstore.Group{Name: name}); err != nil {
			t.Fatalf("CreateGroup(%s): %v", name, err)
		}
	}
	var names []string
	for _, g := range mustCollect(t, "ListGroups", s.ListGroups(ctx)) {
		names = append(names, g.Name)
	}
	if want := []string{"Admins", "alpha", "beta", "zeta"}; !slices.Equal(names, want) {
		t.Errorf("ListGroups = %v, want %v", names, want)
	}

	if err := s.DeleteGroup(ctx, "ADMINS"); err != nil {
		t.Fatalf("DeleteGroup: %v", err)
	}
	_, err = s.GetGroup(ctx, "Admins")
	checkErr(t, "GetGroup after delete", err, userstore.ErrNotFound)
	checkErr(t, "DeleteGroup twice", s.DeleteGroup(ctx, "Admins"), userstore.ErrNotFound)
	if _, err := s.CreateGroup(ctx, userstore.Group{Name: "admins"}); err != nil {
		t.Errorf("CreateGroup of a deleted group's name: %v", err)
	}
}

func testGroupInvalid(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	for _, name := range []string{"", " lead", "trail ", "ctl\x01"} {
		_, err := s.CreateGroup(ctx, userstore.Group{Name: name})
		checkErr(t, "CreateGroup("+name+")", err, userstore.ErrInvalid)
		var ve *userstore.ValidationError
		if errors.As(err, &ve) && ve.Field != "Name" {
			t.Errorf("CreateGroup(%q): Field = %q, want Name", name, ve.Field)
		}
	}
	if got := mustCollect(t, "ListGroups", s.ListGroups(ctx)); len(got) != 0 {
		t.Errorf("invalid groups were stored: %+v", got)
	}
	if c := changes(t, s, 0); len(c) != 0 {
		t.Errorf("invalid groups recorded %d changes", len(c))
	}
}

func testMembers(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	users := createN(t, s, "m", 4)
	for _, name := range []string{"b-team", "a-team"} {
		if _, err := s.CreateGroup(ctx, userstore.Group{Name: name}); err != nil {
			t.Fatalf("CreateGroup: %v", err)
		}
	}
	for _, u := range users[:3] {
		if err := s.AddMember(ctx, "a-team", u.ID); err != nil {
			t.Fatalf("AddMember: %v", err)
		}
	}
	if err := s.AddMember(ctx, "B-TEAM", users[0].ID); err != nil {
		t.Fatalf("AddMember with another case: %v", err)
	}
	seq := lastSeq(t, s)
	if err := s.AddMember(ctx, "a-team", users[0].ID); err != nil {
		t.Errorf("AddMember of a member: %v", err)
	}
	if c := changes(t, s, seq); len(c) != 0 {
		t.Errorf("adding a member again recorded %d changes", len(c))
	}
	checkErr(t, "AddMember to an unknown group", s.AddMember(ctx, "c-team", users[0].ID), userstore.ErrNotFound)
	checkErr(t, "AddMember of an unknown user", s.AddMember(ctx, "a-team", users[3].ID+"-missing"), userstore.ErrNotFound)

	if got := mustGet(t, s, users[0].ID).Groups; !slices.Equal(got, []string{"a-team", "b-team"}) {
		t.Errorf("Groups = %v, want [a-team b-team] (sorted)", got)
	}
	if got := mustGet(t, s, users[3].ID).Groups; len(got) != 0 {
		t.Errorf("Groups of a non-member = %v", got)
	}
	members := mustCollect(t, "ListMembers", s.ListMembers(ctx, "A-Team"))
	if want := sortedIDs(users[:3]...); !slices.Equal(ids(members), want) {
		t.Errorf("ListMembers = %v, want %v", ids(members), want)
	}
	for _, m := range members {
		if !slices.Contains(m.Groups, "a-team") {
			t.Errorf("member %s has groups %v", m.Username, m.Groups)
		}
	}
	_, err := collect(s.ListMembers(ctx, "c-team"))
	checkErr(t, "ListMembers of an unknown group", err, userstore.ErrNotFound)

	if err := s.RemoveMember(ctx, "a-team", users[1].ID); err != nil {
		t.Fatalf("RemoveMember: %v", err)
	}
	seq = lastSeq(t, s)
	if err := s.RemoveMember(ctx, "a-team", users[1].ID); err != nil {
		t.Errorf("RemoveMember of a non-member: %v", err)
	}
	if err := s.RemoveMember(ctx, "a-team", users[3].ID); err != nil {
		t.Errorf("RemoveMember of a non-member: %v", err)
	}
	if c := changes(t, s, seq); len(c) != 0 {
		t.Errorf("removing non-members recorded %d changes", len(c))
	}
	members = mustCollect(t, "ListMembers", s.ListMembers(ctx, "a-team"))
	if want := sortedIDs(users[0], users[2]); !slices.Equal(ids(members), want) {
		t.Errorf("ListMembers after remove = %v, want %v", ids(members), want)
	}
	if got := mustGet(t, s, users[1].ID).Groups; len(got) != 0 {
		t.Errorf("Groups after remove = %v", got)
	}
}

func testDeleteGroupMemberships(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	u := mustCreate(t, s, newUser("ivan"))
	if err := s.SetUserGroups(ctx, u.ID, []string{"keep", "drop"}); err != nil {
		t.Fatalf("SetUserGroups: %v", err)
	}
	if err := s.DeleteGroup(ctx, "drop"); err != nil {
		t.Fatalf("DeleteGroup: %v", err)
	}
	if got := mustGet(t, s, u.ID).Groups; !slices.Equal(got, []string{"keep"}) {
		t.Errorf("Groups after DeleteGroup = %v, want [keep]", got)
	}
	// A new group of the same name starts empty.
	if _, err := s.CreateGroup(ctx, userstore.Group{Name: "drop"}); err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	if got := mustCollect(t, "ListMembers", s.ListMembers(ctx, "drop")); len(got) != 0 {
		t.Errorf("a re-created group has members %v", ids(got))
	}
}

func testSetUserGroups(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	u := mustCreate(t, s, newUser("judy"))
	other := mustCreate(t, s, newUser("ken"))
	if _, err := s.CreateGroup(ctx, userstore.Group{Name: "Admins", Description: "kept"}); err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	if err := s.AddMember(ctx, "admins", other.ID); err != nil {
		t.Fatalf("AddMember: %v", err)
	}
	steps := []struct {
		set  []string
		want []string
	}{
		{[]string{"beta", "alpha"}, []string{"alpha", "beta"}},
		{[]string{"beta", "gamma", "BETA"}, []string{"beta", "gamma"}},
		{[]string{"ADMINS"}, []string{"Admins"}}, // an existing group, in another case
		{nil, nil},
		{[]string{"alpha", "admins"}, []string{"Admins", "alpha"}},
	}
	for i, step := range steps {
		if err := s.SetUserGroups(ctx, u.ID, step.set); err != nil {
			t.Fatalf("step %d: SetUserGroups(%v): %v", i, step.set, err)
		}
		if got := mustGet(t, s, u.ID).Groups; !slices.Equal(got, step.want) {
			t.Errorf("step %d: SetUserGroups(%v): Groups = %v, want %v", i, step.set, got, step.want)
		}
	}
	var names []string
	for _, g := range mustCollect(t, "ListGroups", s.ListGroups(ctx)) {
		names = append(names, g.Name)
	}
	if want := []string{"Admins", "alpha", "beta", "gamma"}; !slices.Equal(names, want) {
		t.Errorf("groups = %v, want %v (created once each)", names, want)
	}
	if g, err := s.GetGroup(ctx, "admins"); err != nil || g.Description != "kept" {
		t.Errorf("existing group after SetUserGroups: %+v, %v", g, err)
	}
	if got := mustGet(t, s, other.ID).Groups; !slices.Equal(got, []string{"Admins"}) {
		t.Errorf("another user's groups = %v, want [Admins]", got)
	}

	seq := lastSeq(t, s)
	err := s.SetUserGroups(ctx, u.ID, []string{"delta", ""})
	checkErr(t, "SetUserGroups with an empty name", err, userstore.ErrInvalid)
	err = s.SetUserGroups(ctx, u.ID, []string{"delta", "bad\x00name"})
	checkErr(t, "SetUserGroups with a control character", err, userstore.ErrInvalid)
	if got := mustGet(t, s, u.ID).Groups; !slices.Equal(got, []string{"Admins", "alpha"}) {
		t.Errorf("Groups after refused SetUserGroups = %v", got)
	}
	if _, err := s.GetGroup(ctx, "delta"); !errors.Is(err, userstore.ErrNotFound) {
		t.Errorf("refused SetUserGroups created a group: %v", err)
	}
	if c := changes(t, s, seq); len(c) != 0 {
		t.Errorf("refused SetUserGroups recorded %d changes", len(c))
	}
	checkErr(t, "SetUserGroups of an unknown user", s.SetUserGroups(ctx, u.ID+"-missing", []string{"alpha"}), userstore.ErrNotFound)
}

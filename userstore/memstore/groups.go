package memstore

import (
	"context"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strings"

	"github.com/usher-sdk/usher/userstore"
)

// CreateGroup stores a new group with Version 1.
func (s *Store) CreateGroup(ctx context.Context, g userstore.Group) (userstore.Group, error) {
	if err := g.Validate(); err != nil {
		return userstore.Group{}, fmt.Errorf("memstore: create group: %w", err)
	}
	if err := s.lock(ctx, "create group"); err != nil {
		return userstore.Group{}, err
	}
	defer s.mu.Unlock()
	key := userstore.NormalizeUsername(g.Name)
	if _, taken := s.groups[key]; taken {
		return userstore.Group{}, fmt.Errorf("memstore: create group: name %q is taken: %w", g.Name, userstore.ErrConflict)
	}
	return groupOut(s.addGroup(key, g)), nil
}

// addGroup stores a new group under key. The caller holds the write lock.
func (s *Store) addGroup(key string, g userstore.Group) *userstore.Group {
	now := s.now()
	g.ID = s.newGroupID()
	g.Metadata = maps.Clone(g.Metadata)
	g.CreatedAt, g.UpdatedAt, g.Version = now, now, 1
	s.groups[key] = &g
	s.groupIDs[g.ID] = key
	s.members[key] = make(map[string]struct{})
	s.emitGroup(userstore.GroupCreated, "", &g, now)
	return &g
}

// GetGroupByID returns the group with the given ID.
func (s *Store) GetGroupByID(ctx context.Context, id string) (userstore.Group, error) {
	if err := s.rlock(ctx, "get group by ID"); err != nil {
		return userstore.Group{}, err
	}
	defer s.mu.RUnlock()
	key, ok := s.groupIDs[id]
	if !ok {
		return userstore.Group{}, fmt.Errorf("memstore: get group by ID: %w", userstore.ErrNotFound)
	}
	return groupOut(s.groups[key]), nil
}

// UpdateGroupByID renames the group, replaces its description and
// metadata and changes its members in one step. See
// userstore.GroupStore.
func (s *Store) UpdateGroupByID(ctx context.Context, u userstore.GroupUpdate) (userstore.Group, error) {
	const op = "update group by ID"
	g := u.Group
	if g.Name != "" {
		if err := g.Validate(); err != nil {
			return userstore.Group{}, fmt.Errorf("memstore: %s: %w", op, err)
		}
	}
	remove := make(map[string]bool, len(u.RemoveMembers))
	for _, id := range u.RemoveMembers {
		remove[id] = true
	}
	for _, id := range u.AddMembers {
		if remove[id] {
			return userstore.Group{}, fmt.Errorf("memstore: %s: %w", op, &userstore.ValidationError{Field: "AddMembers", Reason: "names a user that RemoveMembers names too"})
		}
	}
	if err := s.lock(ctx, op); err != nil {
		return userstore.Group{}, err
	}
	defer s.mu.Unlock()
	key, ok := s.groupIDs[g.ID]
	if !ok {
		return userstore.Group{}, fmt.Errorf("memstore: %s: %w", op, userstore.ErrNotFound)
	}
	stored := s.groups[key]
	if g.Version != stored.Version {
		return userstore.Group{}, fmt.Errorf("memstore: %s: version %d, stored %d: %w", op, g.Version, stored.Version, userstore.ErrVersionConflict)
	}
	name, newKey := stored.Name, key
	if g.Name != "" {
		name, newKey = g.Name, userstore.NormalizeUsername(g.Name)
	}
	if _, taken := s.groups[newKey]; taken && newKey != key {
		return userstore.Group{}, fmt.Errorf("memstore: %s: name %q is taken: %w", op, g.Name, userstore.ErrConflict)
	}
	for _, id := range u.AddMembers {
		if _, ok := s.users[id]; !ok {
			return userstore.Group{}, fmt.Errorf("memstore: %s: user %q: %w", op, id, userstore.ErrNotFound)
		}
	}
	// Checked: from here on nothing fails.
	if name != stored.Name || g.Description != stored.Description || !maps.Equal(g.Metadata, stored.Metadata) {
		now := s.now()
		if newKey != key {
			s.groups[newKey], s.members[newKey] = stored, s.members[key]
			delete(s.groups, key)
			delete(s.members, key)
			s.groupIDs[stored.ID] = newKey
			for id := range s.members[newKey] {
				delete(s.userGroups[id], key)
				s.userGroups[id][newKey] = struct{}{}
			}
		}
		stored.Name, stored.Description, stored.Metadata = name, g.Description, maps.Clone(g.Metadata)
		stored.UpdatedAt = now
		stored.Version++
		s.emitGroup(userstore.GroupUpdated, "", stored, now)
	}
	for _, id := range slices.Sorted(maps.Keys(remove)) {
		s.removeMember(newKey, stored.Name, id)
	}
	for _, id := range slices.Sorted(slices.Values(u.AddMembers)) {
		s.addMember(newKey, stored.Name, id)
	}
	return groupOut(stored), nil
}

// GetGroup finds a group by name without regard to case.
func (s *Store) GetGroup(ctx context.Context, name string) (userstore.Group, error) {
	if err := s.rlock(ctx, "get group"); err != nil {
		return userstore.Group{}, err
	}
	defer s.mu.RUnlock()
	g, ok := s.groups[userstore.NormalizeUsername(name)]
	if !ok {
		return userstore.Group{}, fmt.Errorf("memstore: get group: %w", userstore.ErrNotFound)
	}
	return groupOut(g), nil
}

// UpdateGroup changes description and metadata, if g.Version is current.
// Errors: ErrNotFound, ErrVersionConflict.
func (s *Store) UpdateGroup(ctx context.Context, g userstore.Group) (userstore.Group, error) {
	if err := s.lock(ctx, "update group"); err != nil {
		return userstore.Group{}, err
	}
	defer s.mu.Unlock()
	stored, ok := s.groups[userstore.NormalizeUsername(g.Name)]
	if !ok {
		return userstore.Group{}, fmt.Errorf("memstore: update group: %w", userstore.ErrNotFound)
	}
	if g.Version != stored.Version {
		return userstore.Group{}, fmt.Errorf("memstore: update group: version %d, stored %d: %w", g.Version, stored.Version, userstore.ErrVersionConflict)
	}
	now := s.now()
	stored.Description, stored.Metadata = g.Description, maps.Clone(g.Metadata)
	stored.UpdatedAt = now
	stored.Version++
	s.emit(userstore.GroupUpdated, "", stored.Name, now)
	return groupOut(stored), nil
}

// DeleteGroup removes a group and its memberships.
func (s *Store) DeleteGroup(ctx context.Context, name string) error {
	if err := s.lock(ctx, "delete group"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	key := userstore.NormalizeUsername(name)
	g, ok := s.groups[key]
	if !ok {
		return fmt.Errorf("memstore: delete group: %w", userstore.ErrNotFound)
	}
	for id := range s.members[key] {
		delete(s.userGroups[id], key)
	}
	delete(s.members, key)
	delete(s.groups, key)
	delete(s.groupIDs, g.ID)
	s.emitGroup(userstore.GroupDeleted, "", g, s.now())
	return nil
}

// ListGroups streams groups in ascending name order.
func (s *Store) ListGroups(ctx context.Context) iter.Seq2[userstore.Group, error] {
	return stream(ctx, s, "list groups", 0, "", func(after string, n int) ([]userstore.Group, string, error) {
		var all []*userstore.Group
		for _, g := range s.groups {
			if g.Name > after {
				all = append(all, g)
			}
		}
		slices.SortFunc(all, func(a, b *userstore.Group) int { return strings.Compare(a.Name, b.Name) })
		page := make([]userstore.Group, 0, min(n, len(all)))
		for _, g := range all[:min(n, len(all))] {
			page = append(page, groupOut(g))
			after = g.Name
		}
		return page, after, nil
	})
}

// AddMember adds a user to a group; adding a member twice is not an error
// and records no change.
func (s *Store) AddMember(ctx context.Context, group, userID string) error {
	if err := s.lock(ctx, "add member"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	key := userstore.NormalizeUsername(group)
	g, ok := s.groups[key]
	if !ok {
		return fmt.Errorf("memstore: add member: group %q: %w", group, userstore.ErrNotFound)
	}
	if _, ok := s.users[userID]; !ok {
		return fmt.Errorf("memstore: add member: user: %w", userstore.ErrNotFound)
	}
	s.addMember(key, g.Name, userID)
	return nil
}

// RemoveMember removes a user from a group; removing a non-member, or from
// a group that does not exist, is not an error and records no change.
func (s *Store) RemoveMember(ctx context.Context, group, userID string) error {
	if err := s.lock(ctx, "remove member"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	key := userstore.NormalizeUsername(group)
	if g, ok := s.groups[key]; ok {
		s.removeMember(key, g.Name, userID)
	}
	return nil
}

// SetUserGroups makes groups the whole list of the user's groups, creating
// groups that do not exist yet. Names are matched without regard to case;
// a group it creates takes the first spelling in groups. An invalid name
// is an error matching ErrInvalid, and nothing is changed.
func (s *Store) SetUserGroups(ctx context.Context, userID string, groups []string) error {
	want := make(map[string]string, len(groups)) // key -> name as given
	for _, name := range groups {
		if err := (userstore.Group{Name: name}).Validate(); err != nil {
			return fmt.Errorf("memstore: set user groups: %w", err)
		}
		key := userstore.NormalizeUsername(name)
		if _, dup := want[key]; !dup {
			want[key] = name
		}
	}
	if err := s.lock(ctx, "set user groups"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.users[userID]; !ok {
		return fmt.Errorf("memstore: set user groups: user: %w", userstore.ErrNotFound)
	}
	// Changes in a stable order: removals, then additions, by group key.
	for _, key := range slices.Sorted(maps.Keys(s.userGroups[userID])) {
		if _, keep := want[key]; !keep {
			s.removeMember(key, s.groups[key].Name, userID)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(want)) {
		g, ok := s.groups[key]
		if !ok {
			g = s.addGroup(key, userstore.Group{Name: want[key]})
		}
		s.addMember(key, g.Name, userID)
	}
	return nil
}

// ListMembers streams the members of a group in ascending ID order, or
// yields ErrNotFound when the group does not exist.
func (s *Store) ListMembers(ctx context.Context, group string) iter.Seq2[userstore.User, error] {
	key := userstore.NormalizeUsername(group)
	return stream(ctx, s, "list members", 0, "", func(after string, n int) ([]userstore.User, string, error) {
		members, ok := s.members[key]
		if !ok {
			return nil, after, fmt.Errorf("group %q: %w", group, userstore.ErrNotFound)
		}
		var ids []string
		for id := range members {
			if id > after {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		page := make([]userstore.User, 0, min(n, len(ids)))
		for _, id := range ids[:min(n, len(ids))] {
			page = append(page, s.userOut(s.users[id]))
			after = id
		}
		return page, after, nil
	})
}

// addMember and removeMember change one membership and record it when it
// changed. The caller holds the write lock.
func (s *Store) addMember(key, name, userID string) {
	if _, ok := s.members[key][userID]; ok {
		return
	}
	s.members[key][userID] = struct{}{}
	if s.userGroups[userID] == nil {
		s.userGroups[userID] = make(map[string]struct{})
	}
	s.userGroups[userID][key] = struct{}{}
	s.emit(userstore.MemberAdded, userID, name, s.now())
}

func (s *Store) removeMember(key, name, userID string) {
	if _, ok := s.members[key][userID]; !ok {
		return
	}
	delete(s.members[key], userID)
	delete(s.userGroups[userID], key)
	s.emit(userstore.MemberRemoved, userID, name, s.now())
}

func groupOut(g *userstore.Group) userstore.Group {
	out := *g
	out.Metadata = maps.Clone(g.Metadata)
	return out
}

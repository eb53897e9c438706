package memstore

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/usher-sdk/usher/internal/synced"
	"github.com/usher-sdk/usher/userstore"
)

// UpsertSynced writes a batch of directory users under one lock. See
// userstore.SyncWriter.
func (s *Store) UpsertSynced(ctx context.Context, users []userstore.SyncedUser) ([]userstore.User, error) {
	const op = "upsert synced"
	wants, err := synced.CheckBatch(users, nil)
	if err != nil {
		return nil, fmt.Errorf("memstore: %s: %w", op, err)
	}
	if len(users) == 0 {
		return nil, nil
	}
	if err := s.lock(ctx, op); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()

	// First pass: decide, as the users would be applied one by one, who is
	// created and who updated, and find conflicts; nothing is changed yet.
	now := s.now()
	ids := make([]string, len(users))
	names := map[string]string{} // normalized username -> ID, overlaying s.byName
	owner := func(norm string) (string, bool) {
		if id, ok := names[norm]; ok {
			return id, id != ""
		}
		id, ok := s.byName[norm]
		return id, ok
	}
	for i, su := range users {
		u := su.User
		norm := userstore.NormalizeUsername(u.Username)
		id, exists := s.byExt[extKey{u.Source, u.ExternalID}]
		if !exists {
			if u.ID != "" {
				if _, taken := s.users[u.ID]; taken || slices.Contains(ids[:i], u.ID) {
					return nil, fmt.Errorf("memstore: %s: %w", op, syncedErr(i, u, fmt.Errorf("ID %q is taken: %w", u.ID, userstore.ErrConflict)))
				}
				id = u.ID
			} else if id, err = s.newID(now); err != nil {
				return nil, err
			}
		}
		if other, taken := owner(norm); taken && other != id {
			return nil, fmt.Errorf("memstore: %s: %w", op, syncedErr(i, u, fmt.Errorf("username %q is taken: %w", u.Username, userstore.ErrConflict)))
		}
		if exists {
			names[s.users[id].norm] = ""
		}
		names[norm] = id
		ids[i] = id
	}

	// Second pass: write.
	out := make([]userstore.User, len(users))
	for i, su := range users {
		u, id := su.User, ids[i]
		norm := userstore.NormalizeUsername(u.Username)
		r, exists := s.users[id]
		if !exists {
			u.ID, u.Groups, u.Roles = id, nil, nil // a sync does not set roles
			u.Attributes = synced.MergeAttributes(nil, u.Attributes)
			u.LockedUntil = utc(u.LockedUntil)
			u.CreatedAt, u.UpdatedAt, u.Version = now, now, 1
			r = &userRec{u: u, norm: norm}
			s.users[id] = r
			at, _ := slices.BinarySearch(s.ids, id)
			s.ids = slices.Insert(s.ids, at, id)
			s.byName[norm] = id
			s.byExt[extKey{u.Source, u.ExternalID}] = id
			s.emit(userstore.UserCreated, id, "", now)
		} else {
			next, changed := synced.Apply(r.u, u)
			if changed {
				delete(s.byName, r.norm)
				s.byName[norm] = id
				next.UpdatedAt, next.Version = now, next.Version+1
				r.u, r.norm = next, norm
				s.emit(userstore.UserUpdated, id, "", now)
			}
		}
		s.setGroups(id, wants[i])
		out[i] = s.userOut(r)
	}
	return out, nil
}

// setGroups makes want (normalized name -> name as given) the user's
// groups, creating missing groups, and records the changes: removals, then
// additions, by group key. The caller holds the write lock.
func (s *Store) setGroups(userID string, want map[string]string) {
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
}

func syncedErr(i int, u userstore.User, err error) error {
	return &userstore.SyncedError{Index: i, Source: u.Source, ExternalID: u.ExternalID, Err: err}
}

var _ userstore.SyncWriter = (*Store)(nil)

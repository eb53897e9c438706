package memstore

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strings"

	"github.com/usher-sdk/usher/userstore"
)

// userRec is a stored user; u.Groups is always nil (see userGroups).
type userRec struct {
	u    userstore.User
	norm string // NormalizeUsername(u.Username)
}

type extKey struct{ source, externalID string }

// GetUser returns the user with the given ID, or an error matching
// userstore.ErrNotFound.
func (s *Store) GetUser(ctx context.Context, id string) (userstore.User, error) {
	if err := s.rlock(ctx, "get user"); err != nil {
		return userstore.User{}, err
	}
	defer s.mu.RUnlock()
	r, ok := s.users[id]
	if !ok {
		return userstore.User{}, fmt.Errorf("memstore: get user: %w", userstore.ErrNotFound)
	}
	return s.userOut(r), nil
}

// GetUserByUsername finds a user by username without regard to case.
func (s *Store) GetUserByUsername(ctx context.Context, username string) (userstore.User, error) {
	if err := s.rlock(ctx, "get user by username"); err != nil {
		return userstore.User{}, err
	}
	defer s.mu.RUnlock()
	id, ok := s.byName[userstore.NormalizeUsername(username)]
	if !ok {
		return userstore.User{}, fmt.Errorf("memstore: get user by username: %w", userstore.ErrNotFound)
	}
	return s.userOut(s.users[id]), nil
}

// FindUsersByEmail returns up to limit users (all when limit <= 0) whose
// e-mail equals email without regard to case, in ascending ID order. An
// empty email matches no one.
func (s *Store) FindUsersByEmail(ctx context.Context, email string, limit int) ([]userstore.User, error) {
	if err := s.rlock(ctx, "find users by e-mail"); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	want := userstore.NormalizeUsername(email)
	if want == "" {
		return nil, nil
	}
	var out []userstore.User
	for _, id := range s.ids {
		r := s.users[id]
		if r.u.Email == "" || userstore.NormalizeUsername(r.u.Email) != want {
			continue
		}
		out = append(out, s.userOut(r))
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out, nil
}

// GetUserByExternalID finds the user linked to a directory entry.
func (s *Store) GetUserByExternalID(ctx context.Context, source, externalID string) (userstore.User, error) {
	if err := s.rlock(ctx, "get user by external ID"); err != nil {
		return userstore.User{}, err
	}
	defer s.mu.RUnlock()
	id, ok := s.byExt[extKey{source, externalID}]
	if externalID == "" || !ok {
		return userstore.User{}, fmt.Errorf("memstore: get user by external ID: %w", userstore.ErrNotFound)
	}
	return s.userOut(s.users[id]), nil
}

// ListUsers streams users in ascending ID order, filtered and paged by
// opts, copying out one page of users at a time. A Group that does not
// exist matches no one.
func (s *Store) ListUsers(ctx context.Context, opts userstore.ListOptions) iter.Seq2[userstore.User, error] {
	prefix := userstore.NormalizeUsername(opts.Prefix)
	group := userstore.NormalizeUsername(opts.Group)
	match := func(r *userRec) bool {
		switch {
		case prefix != "" && !strings.HasPrefix(r.norm, prefix),
			opts.Source != "" && r.u.Source != opts.Source,
			opts.Role != "" && !slices.Contains(r.u.Roles, opts.Role),
			opts.Enabled != nil && r.u.Enabled != *opts.Enabled:
			return false
		case opts.Group != "":
			_, ok := s.userGroups[r.u.ID][group]
			return ok
		}
		return true
	}
	return stream(ctx, s, "list users", opts.Limit, opts.After, func(after string, n int) ([]userstore.User, string, error) {
		return s.usersAfter(after, n, match)
	})
}

// usersAfter returns up to n users with ID > after that match, and the ID
// of the last one. The caller holds the lock.
func (s *Store) usersAfter(after string, n int, match func(*userRec) bool) ([]userstore.User, string, error) {
	i, found := slices.BinarySearch(s.ids, after)
	if found {
		i++
	}
	var page []userstore.User
	for ; i < len(s.ids) && len(page) < n; i++ {
		if r := s.users[s.ids[i]]; match(r) {
			page = append(page, s.userOut(r))
			after = r.u.ID
		}
	}
	return page, after, nil
}

// CreateUser stores a new user. See userstore.UserWriter.
func (s *Store) CreateUser(ctx context.Context, u userstore.User) (userstore.User, error) {
	if err := u.Validate(); err != nil {
		return userstore.User{}, fmt.Errorf("memstore: create user: %w", err)
	}
	if err := s.lock(ctx, "create user"); err != nil {
		return userstore.User{}, err
	}
	defer s.mu.Unlock()
	norm := userstore.NormalizeUsername(u.Username)
	if _, taken := s.byName[norm]; taken {
		return userstore.User{}, fmt.Errorf("memstore: create user: username %q is taken: %w", u.Username, userstore.ErrConflict)
	}
	if _, taken := s.byExt[extKey{u.Source, u.ExternalID}]; taken && u.ExternalID != "" {
		return userstore.User{}, fmt.Errorf("memstore: create user: external ID %q of source %q is taken: %w", u.ExternalID, u.Source, userstore.ErrConflict)
	}
	now := s.now()
	if u.ID == "" {
		id, err := s.newID(now)
		if err != nil {
			return userstore.User{}, err
		}
		u.ID = id
	} else if _, taken := s.users[u.ID]; taken {
		return userstore.User{}, fmt.Errorf("memstore: create user: ID %q is taken: %w", u.ID, userstore.ErrConflict)
	}
	u.Groups = nil
	u.Roles = sortedRoles(u.Roles)
	u.Attributes = maps.Clone(u.Attributes)
	u.LockedUntil = utc(u.LockedUntil)
	u.CreatedAt, u.UpdatedAt, u.Version = now, now, 1
	r := &userRec{u: u, norm: norm}
	s.users[u.ID] = r
	i, _ := slices.BinarySearch(s.ids, u.ID)
	s.ids = slices.Insert(s.ids, i, u.ID)
	s.byName[norm] = u.ID
	if u.ExternalID != "" {
		s.byExt[extKey{u.Source, u.ExternalID}] = u.ID
	}
	s.emit(userstore.UserCreated, u.ID, "", now)
	return s.userOut(r), nil
}

// UpdateUser replaces a stored user. See userstore.UserWriter.
func (s *Store) UpdateUser(ctx context.Context, u userstore.User) (userstore.User, error) {
	if err := u.Validate(); err != nil {
		return userstore.User{}, fmt.Errorf("memstore: update user: %w", err)
	}
	if err := s.lock(ctx, "update user"); err != nil {
		return userstore.User{}, err
	}
	defer s.mu.Unlock()
	r, ok := s.users[u.ID]
	if !ok {
		return userstore.User{}, fmt.Errorf("memstore: update user: %w", userstore.ErrNotFound)
	}
	if u.Version != r.u.Version {
		return userstore.User{}, fmt.Errorf("memstore: update user: version %d, stored %d: %w", u.Version, r.u.Version, userstore.ErrVersionConflict)
	}
	norm := userstore.NormalizeUsername(u.Username)
	if id, taken := s.byName[norm]; taken && id != u.ID {
		return userstore.User{}, fmt.Errorf("memstore: update user: username %q is taken: %w", u.Username, userstore.ErrConflict)
	}
	newExt := extKey{u.Source, u.ExternalID}
	if id, taken := s.byExt[newExt]; taken && id != u.ID && u.ExternalID != "" {
		return userstore.User{}, fmt.Errorf("memstore: update user: external ID %q of source %q is taken: %w", u.ExternalID, u.Source, userstore.ErrConflict)
	}
	old := r.u
	delete(s.byName, r.norm)
	s.byName[norm] = u.ID
	if old.ExternalID != "" {
		delete(s.byExt, extKey{old.Source, old.ExternalID})
	}
	if u.ExternalID != "" {
		s.byExt[newExt] = u.ID
	}
	now := s.now()
	u.Groups = nil
	u.Roles = sortedRoles(u.Roles)
	u.Attributes = maps.Clone(u.Attributes)
	u.CreatedAt, u.FailedLogins, u.LockedUntil = old.CreatedAt, old.FailedLogins, old.LockedUntil
	u.UpdatedAt, u.Version = now, old.Version+1
	r.u, r.norm = u, norm
	s.emit(userstore.UserUpdated, u.ID, "", now)
	return s.userOut(r), nil
}

// DeleteUser removes a user, its memberships and tokens.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	if err := s.lock(ctx, "delete user"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	r, ok := s.users[id]
	if !ok {
		return fmt.Errorf("memstore: delete user: %w", userstore.ErrNotFound)
	}
	delete(s.users, id)
	if i, found := slices.BinarySearch(s.ids, id); found {
		s.ids = slices.Delete(s.ids, i, i+1)
	}
	delete(s.byName, r.norm)
	if r.u.ExternalID != "" {
		delete(s.byExt, extKey{r.u.Source, r.u.ExternalID})
	}
	for g := range s.userGroups[id] {
		delete(s.members[g], id)
	}
	delete(s.userGroups, id)
	s.deleteTokens("", id)
	s.emit(userstore.UserDeleted, id, "", s.now())
	return nil
}

// userOut copies a stored user out, with its groups filled in sorted. The
// caller holds the lock.
func (s *Store) userOut(r *userRec) userstore.User {
	u := r.u
	u.Attributes = maps.Clone(u.Attributes)
	u.Roles = slices.Clone(u.Roles)
	if keys := s.userGroups[u.ID]; len(keys) > 0 {
		u.Groups = make([]string, 0, len(keys))
		for k := range keys {
			u.Groups = append(u.Groups, s.groups[k].Name)
		}
		slices.SortFunc(u.Groups, cmp.Compare)
	}
	return u
}

// sortedRoles returns a sorted copy of roles without duplicates, nil for
// none.
func sortedRoles(roles []string) []string {
	if len(roles) == 0 {
		return nil
	}
	return slices.Compact(slices.Sorted(slices.Values(roles)))
}

package userstore

import (
	"context"
	"errors"
	"fmt"
)

// ErrManaged means a local edit was asked of a user whose source manages
// it (a directory sync or SCIM provisioning): the source's copy is the
// truth, so the user is read-only here. See ProtectManaged.
var ErrManaged = errors.New("userstore: user is managed by its source")

// ProtectManaged returns a view of s for local edits — an admin page, an
// application's own profile form — in which the users of the given
// sources (User.Source, e.g. a directory source's name or SCIM's "scim")
// are read-only, as ProAuth keeps synchronized objects read-only: creating
// such a user, changing or deleting one, and changing its group
// memberships (AddMember, RemoveMember, SetUserGroups, an UpdateGroupByID
// that adds or removes it) fail with an error matching ErrManaged, and
// nothing is written. Groups themselves stay editable (rename,
// description). Reads, logins (failed-login counts, password hashes) and tokens
// work as on s, and users of other sources and local users stay editable;
// a local user cannot be moved into a managed source either.
//
// The processes that manage those users — directory.StoreTarget, the SCIM
// endpoint, a SyncWriter — keep writing to s itself. The view has none of
// s's optional capabilities (SyncWriter). With no sources it returns s.
// It is safe for concurrent use when s is. A user's source is checked
// before the write, so a sync that moves a user into a managed source at
// the same moment may let that one edit through.
func ProtectManaged(s Store, sources ...string) Store {
	if len(sources) == 0 {
		return s
	}
	m := make(map[string]bool, len(sources))
	for _, src := range sources {
		m[src] = true
	}
	return &managedGuard{Store: s, managed: m}
}

// managedGuard is the view ProtectManaged returns.
type managedGuard struct {
	Store
	managed map[string]bool
}

// refuseManaged is the error for op on a user of source src.
func refuseManaged(op, src string) error {
	return fmt.Errorf("userstore: %s: the user comes from %q, which manages it: %w", op, src, ErrManaged)
}

// check refuses when the stored user id belongs to a managed source.
func (g *managedGuard) check(ctx context.Context, op, id string) error {
	u, err := g.Store.GetUser(ctx, id)
	if err != nil {
		return err
	}
	if g.managed[u.Source] {
		return refuseManaged(op, u.Source)
	}
	return nil
}

func (g *managedGuard) CreateUser(ctx context.Context, u User) (User, error) {
	if g.managed[u.Source] {
		return User{}, refuseManaged("create user", u.Source)
	}
	return g.Store.CreateUser(ctx, u)
}

func (g *managedGuard) UpdateUser(ctx context.Context, u User) (User, error) {
	if g.managed[u.Source] {
		return User{}, refuseManaged("update user", u.Source)
	}
	if err := g.check(ctx, "update user", u.ID); err != nil {
		return User{}, err
	}
	return g.Store.UpdateUser(ctx, u)
}

func (g *managedGuard) DeleteUser(ctx context.Context, id string) error {
	if err := g.check(ctx, "delete user", id); err != nil {
		return err
	}
	return g.Store.DeleteUser(ctx, id)
}

func (g *managedGuard) AddMember(ctx context.Context, group, userID string) error {
	if err := g.check(ctx, "add member", userID); err != nil {
		return err
	}
	return g.Store.AddMember(ctx, group, userID)
}

func (g *managedGuard) RemoveMember(ctx context.Context, group, userID string) error {
	if err := g.check(ctx, "remove member", userID); err != nil {
		return err
	}
	return g.Store.RemoveMember(ctx, group, userID)
}

func (g *managedGuard) SetUserGroups(ctx context.Context, userID string, groups []string) error {
	if err := g.check(ctx, "set user groups", userID); err != nil {
		return err
	}
	return g.Store.SetUserGroups(ctx, userID, groups)
}

func (g *managedGuard) UpdateGroupByID(ctx context.Context, u GroupUpdate) (Group, error) {
	for _, ids := range [][]string{u.AddMembers, u.RemoveMembers} {
		for _, id := range ids {
			if err := g.check(ctx, "update group", id); err != nil && !errors.Is(err, ErrNotFound) {
				return Group{}, err
			}
		}
	}
	return g.Store.UpdateGroupByID(ctx, u)
}

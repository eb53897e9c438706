package push

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/usher-sdk/usher/userstore"
)

// Reconcile makes the downstream equal to the store, whatever the feed
// missed (a follower started on a store with history, a change passed over,
// resources changed downstream by hand): it pushes every user and then every
// group of the store, members included, and then removes downstream what the
// store no longer has: users with an externalId that names no Usher user are
// deactivated or deleted as Config.DeleteMode says, groups with an externalId
// that names no Usher group are deleted. It takes every downstream resource
// with an externalId for Usher's, so a downstream shared with other
// provisioning clients must not be reconciled. Resources without an externalId
// are left alone.
//
// It neither reads nor moves the cursor: changes that Run pushes afterwards
// are pushed again, harmlessly. A change the downstream refuses for good is
// logged at Error and passed over, as in Step; the first other error stops
// Reconcile, which may simply be called again.
func (f *Follower) Reconcile(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var refused int
	check := func(err error) error {
		var he *HTTPError
		if errors.As(err, &he) && he.permanent() && ctx.Err() == nil {
			refused++
			f.log.Error("push: downstream refused a resource during reconciliation", "follower", f.cfg.Name, "err", err)
			return nil
		}
		return err
	}
	for u, err := range f.src.ListUsers(ctx, userstore.ListOptions{}) {
		if err != nil {
			return fmt.Errorf("push: list users: %w", err)
		}
		if _, err := f.upsertUser(ctx, u); check(err) != nil {
			return err
		}
	}
	for g, err := range f.src.ListGroups(ctx) {
		if err != nil {
			return fmt.Errorf("push: list groups: %w", err)
		}
		if err := check(f.upsertGroup(ctx, g)); err != nil {
			return err
		}
	}
	staleUsers, err := f.stale(ctx, usersEndpoint, func(extID string) error {
		_, err := f.src.GetUser(ctx, extID)
		return err
	})
	if err != nil {
		return err
	}
	for _, r := range staleUsers {
		if err := check(f.removeUserByID(ctx, r.ID)); err != nil {
			return err
		}
		if f.cfg.DeleteMode == Delete {
			f.forget(usersEndpoint, r.ExternalID)
		}
	}
	staleGroups, err := f.stale(ctx, groupsEndpoint, func(extID string) error {
		// A group ID, or a name as releases before group IDs pushed.
		_, err := f.src.GetGroupByID(ctx, extID)
		if errors.Is(err, userstore.ErrNotFound) {
			_, err = f.src.GetGroup(ctx, extID)
		}
		return err
	})
	if err != nil {
		return err
	}
	for _, r := range staleGroups {
		err := f.c.do(ctx, http.MethodDelete, groupsEndpoint+"/"+r.ID, nil, nil, nil)
		if err != nil && !isStatus(err, http.StatusNotFound) {
			if err := check(err); err != nil {
				return err
			}
		}
		f.forget(groupsEndpoint, r.ExternalID)
	}
	f.log.Info("push: reconciled", "follower", f.cfg.Name,
		"stale_users", len(staleUsers), "stale_groups", len(staleGroups), "refused", refused)
	return nil
}

// stale lists the downstream resources of endpoint, page by page, and returns
// those with an externalId for which get reports userstore.ErrNotFound. It
// collects them all before anything is removed, so that removals cannot shift
// the pages it reads.
func (f *Follower) stale(ctx context.Context, endpoint string, get func(extID string) error) ([]resource, error) {
	var out []resource
	for start := 1; ; {
		lr, err := f.c.list(ctx, endpoint, start, f.cfg.PageSize)
		if err != nil {
			return nil, err
		}
		for _, r := range lr.Resources {
			if r.ExternalID == "" || r.ID == "" {
				continue
			}
			err := get(r.ExternalID)
			switch {
			case errors.Is(err, userstore.ErrNotFound):
				out = append(out, r)
			case err != nil:
				return nil, fmt.Errorf("push: read store: %w", err)
			}
		}
		start += len(lr.Resources)
		if len(lr.Resources) == 0 || start > lr.TotalResults {
			return out, nil
		}
	}
}

package memstore

import (
	"context"
	"slices"
	"strings"

	"github.com/usher-sdk/usher/userstore"
)

var _ userstore.Counter = (*Store)(nil)

// CountUsers counts the users opts selects under one read lock, so the
// counts are consistent with each other. It visits every user (every
// member, with a Group); nothing is copied. See userstore.Counter.
func (s *Store) CountUsers(ctx context.Context, opts userstore.CountOptions) (userstore.UserCounts, error) {
	if err := s.rlock(ctx, "count users"); err != nil {
		return userstore.UserCounts{}, err
	}
	defer s.mu.RUnlock()
	prefix := userstore.NormalizeUsername(opts.Prefix)
	var c userstore.UserCounts
	add := func(r *userRec) {
		switch {
		case r == nil,
			prefix != "" && !strings.HasPrefix(r.norm, prefix),
			opts.Source != "" && r.u.Source != opts.Source,
			opts.Role != "" && !slices.Contains(r.u.Roles, opts.Role):
			return
		}
		c.Total++
		if r.u.Enabled {
			c.Enabled++
		}
		if !opts.LockedAt.IsZero() && r.u.Locked(opts.LockedAt) {
			c.Locked++
		}
	}
	if opts.Group != "" {
		for id := range s.members[userstore.NormalizeUsername(opts.Group)] {
			add(s.users[id])
		}
		return c, nil
	}
	for _, r := range s.users {
		add(r)
	}
	return c, nil
}

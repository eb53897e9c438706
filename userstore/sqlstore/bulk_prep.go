package sqlstore

import (
	"github.com/usher-sdk/usher/internal/synced"
	"github.com/usher-sdk/usher/userstore"
)

// syncPrep is what UpsertSynced works out of a batch before its
// transaction, without the writer lock: each user's normalized username,
// and the user as it is inserted should no stored user have its external
// ID. Decided inside the transaction, on what it reads, is only which
// users are new. Two batches handed to UpsertSynced at once (as
// directory's StoreTarget does) so prepare one while the other is
// written: in a first sync of a directory the preparation was a fifth of
// the writer's time (issue 11).
type syncPrep struct {
	norms []string
	fresh []freshUser
}

// freshUser is a batch's user as UpsertSynced inserts it.
type freshUser struct {
	id                   string            // its own ID, or a new one
	attrs                map[string]string // its attributes without the empty ones
	attrsJSON, emailNorm string            // the columns made of them
}

func (s *Store) prepareSynced(users []userstore.SyncedUser) *syncPrep {
	now := s.now()
	p := &syncPrep{norms: make([]string, len(users)), fresh: make([]freshUser, len(users))}
	for i, su := range users {
		u, f := su.User, &p.fresh[i]
		p.norms[i] = userstore.NormalizeUsername(u.Username)
		if f.id = u.ID; f.id == "" {
			f.id = s.newID(now)
		}
		f.attrs = synced.MergeAttributes(nil, u.Attributes)
		f.attrsJSON = marshalMap(f.attrs)
		f.emailNorm = userstore.NormalizeUsername(u.Email)
	}
	return p
}

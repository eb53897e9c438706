package sqlstore

import (
	"sync/atomic"

	"github.com/usher-sdk/usher/userstore"
)

// freshBatch is how many users a batch that found none of them stored
// must have for the next batch of its source to be taken for new: a
// first sync's batches have a thousand, while an incremental step of a
// few new users says little about the next one, and a wrong guess costs
// the batch a second try.
const freshBatch = 500

// freshSource remembers the source of the last UpsertSynced batch of at
// least freshBatch users that found none of them stored, as in a first
// sync: the next batch of that source takes its users for new without
// reading them (planSynced without allStored), and the unique index on
// external IDs catches one that is not. One source at a time, so that
// what it holds stays one string whatever the batches name.
type freshSource struct{ name atomic.Pointer[string] }

// is reports whether source's last batch found none of its users.
func (f *freshSource) is(source string) bool {
	p := f.name.Load()
	return p != nil && *p == source
}

// set records what a batch of source that read its users found: all of
// them new (fresh) or not.
func (f *freshSource) set(source string, fresh bool) {
	if fresh {
		f.name.Store(&source)
	} else {
		f.forget(source)
	}
}

// forget stops taking source's batches for new.
func (f *freshSource) forget(source string) {
	if p := f.name.Load(); p != nil && *p == source {
		f.name.CompareAndSwap(p, nil)
	}
}

// batchSource returns the source all of users come from, false when
// they come from more than one.
func batchSource(users []userstore.SyncedUser) (string, bool) {
	if len(users) == 0 {
		return "", false
	}
	source := users[0].User.Source
	for _, su := range users[1:] {
		if su.User.Source != source {
			return "", false
		}
	}
	return source, true
}

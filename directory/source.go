package directory

import (
	"context"
	"errors"
	"iter"
)

// Errors returned by sources. Match them with errors.Is.
var (
	// ErrNotFound means the source does not know the login, or the user is
	// outside the source's scope. Callers that face end users must not
	// tell it apart from a wrong password.
	ErrNotFound = errors.New("directory: user not found")

	// ErrUnavailable means the source could not be reached (network, server
	// down, throttled beyond retries). It is an infrastructure error.
	ErrUnavailable = errors.New("directory: source unavailable")
)

// Source is a user source: what every source can do. What only some can
// do is an optional capability beside it ([PasswordSource], [ChangeSource],
// [GroupSource]), found by type assertion. Implementations are safe for
// concurrent use.
type Source interface {
	// Name identifies the source in configuration and logs, for example
	// "example.test".
	Name() string

	// Lookup returns the user whose login (username, e-mail or UPN, as the
	// source defines it) is login, or an error wrapping ErrNotFound.
	Lookup(ctx context.Context, login string) (Entry, error)

	// Users streams every user in scope. The stream stops at the first
	// error, which it yields, and honours break.
	Users(ctx context.Context) iter.Seq2[Entry, error]
}

// PasswordSource is a Source that can check its users' passwords (LDAP
// binds, a CSV file's imported hashes). A source without it, such as
// Microsoft Graph, only finds users; a [Chain] refuses every password for
// them.
type PasswordSource interface {
	// Authenticate checks login's password against the source and returns
	// the user's entry when it is right. A wrong password, an unknown user
	// or a user outside the scope give ok == false and a nil error,
	// indistinguishable from each other; err is only for infrastructure
	// faults. An empty password is always refused.
	Authenticate(ctx context.Context, login, password string) (entry Entry, ok bool, err error)
}

// ChangeSource is a Source that can list what changed since a cursor.
type ChangeSource interface {
	// Changes streams the users added or modified since cursor (empty for
	// "from the beginning"). Every element carries a cursor that is safe
	// to resume from once every element up to it has been applied; the
	// last element, yielded only when the stream ran to its end, has no
	// Entry and carries the cursor that covers the whole stream. A
	// consumer that stops early (break, or an error) has seen only cursors
	// that give the unread changes again. The stream stops at the first
	// error, which it yields, and honours break. Deletions are not
	// reported; a full reconciliation finds them.
	Changes(ctx context.Context, cursor string) iter.Seq2[Change, error]
}

// Change is one element of a [ChangeSource]'s stream.
//
// Delivery is at least once: resuming from a cursor may give again users
// already seen (a source whose cursor is a timestamp gives the users
// changed in the cursor's second again), never skip one. A consumer
// applies each Entry and then may save the element's Cursor:
//
//	cursor := saved
//	for c, err := range src.Changes(ctx, saved) {
//		if err != nil {
//			return err
//		}
//		if c.Entry != nil {
//			apply(*c.Entry)
//		}
//		cursor = c.Cursor // everything up to c is applied
//	}
//	save(cursor)
type Change struct {
	// Entry is the user added or modified; nil on the last element of a
	// stream, which carries only the final Cursor.
	Entry *Entry
	// Cursor is where to resume once this element and every one before it
	// have been applied. Until the last element it may be the cursor the
	// stream was started from.
	Cursor string
}

// GroupSource is a Source that can list its groups.
type GroupSource interface {
	// Groups streams the names of the groups in the source's scope.
	Groups(ctx context.Context) iter.Seq2[string, error]
}

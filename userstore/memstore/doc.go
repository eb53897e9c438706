// Package memstore is an in-memory [userstore.Store] for unit tests of code
// that uses a user store.
//
// It behaves like the SQL stores in everything callers can observe: it
// validates input, keeps usernames unique without regard to case, refuses
// stale versions, records change-feed events atomically with their writes
// (and of the login state only locks and unlocks), counts failed logins
// exactly under concurrency, changes nothing during a lock, and returns
// ErrClosed once closed. It passes the conformance suite
// userstore/storetest. It keeps nothing on disk; a Store is empty when made.
//
// Values go in and come out as copies: a caller that changes a map or slice
// it passed in or got back does not change the store.
//
// Where the contract leaves a choice open, memstore chooses like this:
//
//   - IDs are 32 lowercase hex digits: a 48-bit millisecond time from the
//     clock then 80 random bits, increasing within a Store, so that
//     ListUsers order is creation order. A caller-supplied ID is kept.
//   - Times are stored in UTC, without a monotonic clock reading.
//   - ListGroups and User.Groups sort names by bytes.
//   - Group IDs are 32 lowercase hex digits from the random source (WithRand),
//     or from a counter when it fails, so that a write creating groups never
//     fails half-way.
//   - Every write to a user (UpdateUser, SetPassword, a counted
//     RecordFailedLogin, a ResetFailedLogins that clears something) raises
//     its Version and UpdatedAt. UpdateUser and SetPassword record a
//     user.updated change; the login-state writes record one only when
//     they set or clear LockedUntil, as the contract says. Membership
//     changes do not change the user's Version; they record member.added
//     or member.removed.
//   - Change-feed Seqs are 1, 2, 3... in the order of the writes.
//   - DeleteUser and DeleteGroup record only user.deleted or group.deleted;
//     the memberships they remove go with them.
//   - Tokens belong to an existing user (PutToken returns ErrNotFound
//     otherwise), and a second token of a kind with the same hash is
//     ErrConflict.
//   - AuditFilter.Since keeps events at or after Since.
package memstore

// Package memstore is an in-memory [userstore.Store] for unit tests of code
// that uses a user store.
//
// It behaves like the SQL stores in everything callers can observe: it
// validates input, keeps usernames unique without regard to case, refuses
// stale versions, records every write in the change feed atomically with the
// write, counts failed logins exactly under concurrency and returns
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
//   - Every write to a user (UpdateUser, SetPassword, RecordFailedLogin,
//     ResetFailedLogins) raises its Version and UpdatedAt and records a
//     user.updated change. Membership changes do not change the user's
//     Version; they record member.added or member.removed.
//   - DeleteUser and DeleteGroup record only user.deleted or group.deleted;
//     the memberships they remove go with them.
//   - Tokens belong to an existing user (PutToken returns ErrNotFound
//     otherwise), and a second token of a kind with the same hash is
//     ErrConflict.
//   - AuditFilter.Since keeps events at or after Since.
package memstore

// Package userstore keeps users, groups and their passwords, and logs them
// in: login by username or e-mail, lock-out after wrong passwords, password
// change, reset and admin-set initial passwords, an audit trail and a change
// feed that other systems follow.
//
// Storage is behind the [Store] interface, assembled from small interfaces
// ([UserReader], [UserWriter], [GroupStore], [LoginStateStore], [TokenStore],
// [ChangeFeed], [AuditLog]) so that a consumer can ask for only what it uses.
// Three implementations ship with Usher:
//
//   - userstore/memstore: in memory, for unit tests of downstream code;
//   - userstore/sqlstore: SQLite (embedded, the default) and PostgreSQL;
//   - any third-party one, checked by the conformance suite userstore/storetest.
//
// A Store serves one user pool (a realm); several realms may share one
// database. Every Store is safe for concurrent use. Optional capabilities
// sit beside it and are found by type assertion: [SyncWriter] writes a
// batch of directory users in one transaction (directory sync uses it when
// present; memstore and sqlstore have it).
//
// Users that a directory sync or SCIM provisioning brings in are managed
// by their source; [ProtectManaged] gives the view of a Store that local
// edits (an admin page, a profile form) go through, in which those users
// are read-only ([ErrManaged]), while the sync and the SCIM endpoint keep
// writing to the Store itself.
//
// The login rules live in [Service], which works on any Store.
package userstore

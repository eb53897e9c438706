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
// A user holds Roles (application roles, e.g. from a claims mapping),
// stored sorted and without duplicates and listed with ListOptions.Role. A
// group has a stable ID besides its unique name: GetGroupByID reads it, and
// UpdateGroupByID renames a group — its memberships follow — and changes
// its description, metadata and members in one version-checked step, as
// the SCIM endpoint's group PATCH needs. Change events name a group by its
// name and, where the store knows it, its ID ([Change].GroupID), so that a
// follower tells a rename from a delete.
//
// Users that a directory sync or SCIM provisioning brings in are managed
// by their source; [ProtectManaged] gives the view of a Store that local
// edits (an admin page, a profile form) go through, in which those users
// are read-only ([ErrManaged]), while the sync and the SCIM endpoint keep
// writing to the Store itself.
//
// The login rules live in [Service], which works on any Store.
package userstore

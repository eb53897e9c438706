// Package sqlstore is a [userstore.Store] on a SQL database: SQLite
// (modernc.org/sqlite, embedded, no cgo) or PostgreSQL (jackc/pgx/v5).
//
// Make a store with [New] on the application's [database.DB], the one
// database every Usher package shares; [OpenSQLite] and [OpenPostgres] are
// shorthand for a database that serves this store alone. The schema is the
// "userstore" [database.Component] ([Component]): embedded, versioned SQL
// migrations that New applies through the database package unless
// [WithoutMigrations] is given, recorded in its one version table. A
// database migrated by a newer release is refused with an error matching
// [database.ErrSchemaTooNew]. Databases made before the database package
// existed are upgraded in place on open.
//
// Several independent user pools ("realms", [WithRealm]) share one
// database: every row carries its realm, the realms are recorded in the
// core schema, and each realm has its own change feed.
//
// Every write is one transaction together with its change-feed event.
// Writers of a realm take the realm's counter row first, so change-feed
// Seqs are given out in commit order without gaps, and an event is visible
// only once every event before it is. On SQLite, write transactions begin
// IMMEDIATE and wait up to 10 s for another process's writer. Failed-login
// counts move in one UPDATE ... RETURNING, so that concurrent wrong
// passwords from any number of processes are counted exactly.
//
// Database errors are mapped to userstore's: a taken unique value to
// [userstore.ErrConflict], a missing record to [userstore.ErrNotFound], a
// closed store or database to [userstore.ErrClosed]. Streams read one page
// per query with keyset pagination, so listing any number of users holds
// one page in memory and no connection while the consumer runs.
//
// Times are stored as Unix nanoseconds (UTC) in integer columns, so that
// they round-trip exactly on both databases.
package sqlstore

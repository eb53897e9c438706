// Package sqlstore is a [userstore.Store] on a SQL database: SQLite
// (modernc.org/sqlite, embedded, no cgo) or PostgreSQL (jackc/pgx/v5).
//
// Open a store with [OpenSQLite] or [OpenPostgres], or wrap a *sql.DB with
// [New]. The schema is made of embedded, versioned SQL migrations that are
// applied on open unless [WithoutMigrations] is given; operators who
// migrate explicitly call [Migrate]. Migrating is idempotent and safe when
// several processes open the same database at once.
//
// Several independent user pools ("realms", [WithRealm]) share one
// database: every row carries its realm, and each realm has its own change
// feed.
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

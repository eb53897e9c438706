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
// Groups are keyed by realm and normalized name; each also has a stable ID
// (userstore.Group.ID), made by the column's DEFAULT (random, 32 lower-case
// hex digits), and memberships reference the name key, following a
// rename, so that UpdateGroupByID renames a group with one UPDATE. SQLite
// keeps memberships consistent with foreign keys (ON DELETE CASCADE, ON
// UPDATE CASCADE); PostgreSQL, since schema version 7, with triggers that
// enforce the same rules with the same error (foreign_key_violation) and
// locks, but check all memberships an INSERT writes at once, which makes
// a sync's writes of users with groups about 40% cheaper. Either way the
// rules hold for any writer of the tables, not only this package. The
// writes of users, groups and memberships take row locks in one order —
// users (by ID), then the group, then memberships — so that they cannot
// deadlock with each other on PostgreSQL; an UpdateGroupByID that meets a
// SyncWriter batch in a deadlock anyway is run again (up to 3 times).
//
// Several independent user pools ("realms", [WithRealm]) share one
// database: every row carries its realm, the realms are recorded in the
// core schema, and each realm has its own change feed.
//
// Every write is atomic together with its change-feed events, and no
// write takes a lock for the feed: writers of a realm queue only where
// they touch the same rows. (UpsertSynced batches of a realm run one at a
// time, as each decides on what it has read.) On SQLite, write
// transactions begin IMMEDIATE, hold the database's write lock and wait up
// to 10 s for another process's writer. Failed-login counts move in one
// UPDATE ... RETURNING, so that concurrent wrong passwords from any number
// of processes are counted exactly; on PostgreSQL RecordFailedLogin and
// ResetFailedLogins are one auto-committed statement each, their change
// event included.
//
// # The change feed
//
// A follower passes the Seq of the last event it handled and must never
// miss one. With writers that run side by side, that takes care: numbers
// drawn from a sequence as transactions write are not in commit order, so
// a reader that has returned Seq 11 may later see Seq 10 commit. Hiding
// the events of transactions at or above the reader's snapshot xmin
// (pg_snapshot_xmin, the oldest transaction still running) does not mend
// it while the cursor is the sequence number, for the filter goes by
// transaction ID and the cursor by number, and the two orders disagree.
// If the transaction with the older ID draws 11 and commits while a
// younger one that drew 10 still runs, 11 is below the horizon and
// returned, the cursor moves to 11, and 10 is skipped when it commits.
// (The other way round, the younger drawing the higher number, the filter
// holds the younger back and nothing goes wrong, which is why the flaw
// hides from tests.)
//
// So on PostgreSQL the position is made from the transaction ID itself.
// Each event's position is
//
//	seq_base + (pg_current_xact_id() - xid_base) * 2^20 + n
//
// where n counts the transaction's events from 0 (at most 2^20 of them)
// and usher_user_feed_base holds the two bases; the position is the
// public Change.Seq. A reader returns only the events below the first
// position of the horizon, read in a statement just before: the oldest
// transaction that statement's snapshot sees running and that still runs
// as it reads pg_stat_activity, not counting those of other databases,
// which cannot write these tables. Every transaction below the horizon
// has ended before the reader's snapshot, so every event below it is
// visible to the reader or never will be; and every transaction that can still append
// has an ID at or above the horizon, so its events sort after everything
// returned. The feed is thus in transaction-ID order: the events of one
// transaction are consecutive, a write that began after another had
// committed comes after it, and writes that overlapped may come in either
// order, which a follower that reads the records again cannot tell apart.
// Seqs are not consecutive; they grow by 2^20 per transaction ID, which
// leaves some 8.8e12 transaction IDs after the base.
//
// A transaction that stays open holds the horizon back: its younger
// events wait, none is lost. So that a follower sees what was committed
// before it asked, Changes first waits up to a second for the transactions
// of the database that were running when it was called.
//
// Events of the release before this scheme keep their Seqs 1 to N:
// seq_base lies above them and they count as settled, so a cursor saved
// before the upgrade goes on working. The upgrade renames the feed's
// columns so that a process of the previous release still running fails
// rather than write or read the feed out of order. Transaction IDs only
// grow within a cluster; a database restored into another cluster may
// meet lower ones, and a Store that finds the next ID below what the base
// allows moves the base above the stored events when it opens (the
// processes of the old cluster have stopped by then).
//
// SQLite has one writer at a time: a transaction's first event reads the
// realm's counter (usher_user_feed) and it saves it before committing, so
// Seqs there are 1, 2, 3... in commit order, and every committed event is
// visible at once.
//
// Of the login state, only locks and unlocks are news (see
// userstore.LoginStateStore): a wrong password that does not lock the
// account records no event, so credential stuffing neither waits on nor
// floods the feed.
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

// Package database is the one database an application that embeds Usher
// opens: SQLite (modernc.org/sqlite, embedded, no cgo; the default) or
// PostgreSQL (jackc/pgx/v5, for any number of server processes sharing
// it). The application opens it once, with Open, and hands the *DB to the
// SQL store of every Usher package it uses (userstore/sqlstore, and the
// onboarding, authrequest and claims stores as they come); each keeps its
// tables in it.
//
//	db, err := database.Open(ctx, "sqlite:usher.db") // or "postgres://…"
//	defer db.Close()                                 // runs after the stores' Close
//	users, err := sqlstore.New(ctx, db)              // migrates "core" and "userstore"
//	defer users.Close()
//
// # Migrations
//
// Every component (a package with tables, or the application itself)
// embeds its migrations, one folder per dialect of files NNNN_what.sql, and
// describes them as a Component. DB.Migrate applies what is missing of any
// number of components in one transaction under one lock, recording each
// version in one table, usher_migrations (component, version, name,
// applied_at), so that processes opening the database at once migrate it
// once. The package's own component, "core", holds the realms that the
// stores serve and is always migrated first. A store made with its
// package's "without migrations" option calls DB.CheckSchema instead, for
// operators who migrate every component once at deploy time. A database
// migrated by a newer version of a component than the code knows is
// refused (ErrSchemaTooNew) rather than used.
//
// A component whose schema is written by code rather than SQL files (the
// River job queue of authrequest/outbox, whose tables River's own
// migrator makes) gives Steps instead of Migrations: one Go function per
// version, which Migrate runs in the same transaction as the files of
// every other component, under the same lock, and records in
// usher_migrations like a file; CheckSchema treats both alike.
//
// Databases made before this package, whose user store recorded its
// versions in usher_schema_migrations, are upgraded in place: Migrate
// moves that history into usher_migrations as the "userstore" component's.
//
// # Transactions
//
// DB.Tx runs a function in a transaction that it passes explicitly (never
// inside a context) and commits when the function returns nil. On SQLite
// the writers of one process queue behind one lock in Go, and every
// transaction begins IMMEDIATE, so that a write never fails half-way for
// want of the database's write lock; another process's writers wait up to
// the 10 s busy timeout. On PostgreSQL transactions run side by side.
//
// A SQLite file opened with Open or OpenSQLite copies its write-ahead log
// back into the database file on a goroutine of the DB, soon after
// writes and without blocking anyone (a PASSIVE checkpoint), so that
// writers do not stop to do it; they still do when the log passes 16 MiB.
// Close stops that goroutine; SQLite checkpoints and removes the log when
// the last connection closes.
//
// A DB is safe for concurrent use. It logs only the migrations it applies,
// to the logger given with WithLogger, and never data.
package database

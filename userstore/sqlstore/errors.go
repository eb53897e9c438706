package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/usher-sdk/usher/userstore"
)

// fail wraps err from operation op with the package prefix and maps the
// database's errors to userstore's: a unique violation to ErrConflict, a
// foreign-key violation to ErrNotFound, a closed database to ErrClosed.
func (s *Store) fail(op string, err error) error {
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, userstore.ErrNotFound), errors.Is(err, userstore.ErrConflict),
		errors.Is(err, userstore.ErrVersionConflict), errors.Is(err, userstore.ErrInvalid),
		errors.Is(err, userstore.ErrClosed), errors.Is(err, userstore.ErrReadOnly):
		return fmt.Errorf("sqlstore: %s: %w", op, err)
	case isUnique(err):
		return fmt.Errorf("sqlstore: %s: %s is taken: %w", op, takenWhat(err), userstore.ErrConflict)
	case isBadText(err):
		return fmt.Errorf("sqlstore: %s: %w", op, &userstore.ValidationError{Field: "text", Reason: "must not contain NUL bytes or invalid UTF-8"})
	case isForeignKey(err):
		return fmt.Errorf("sqlstore: %s: referenced record: %w", op, userstore.ErrNotFound)
	case s.closed.Load() || isClosed(err):
		return fmt.Errorf("sqlstore: %s: %w (%v)", op, userstore.ErrClosed, err)
	}
	return fmt.Errorf("sqlstore: %s: %w", op, err)
}

func isUnique(err error) bool {
	if e, ok := errors.AsType[*pgconn.PgError](err); ok {
		return e.Code == "23505"
	}
	if e, ok := errors.AsType[*sqlite.Error](err); ok {
		return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// isDeadlock reports PostgreSQL's abort of a transaction caught in a
// deadlock, which may simply be run again.
func isDeadlock(err error) bool {
	e, ok := errors.AsType[*pgconn.PgError](err)
	return ok && e.Code == "40P01"
}

func isForeignKey(err error) bool {
	if e, ok := errors.AsType[*pgconn.PgError](err); ok {
		return e.Code == "23503"
	}
	if e, ok := errors.AsType[*sqlite.Error](err); ok {
		return e.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

// isBadText reports PostgreSQL's refusal of a NUL byte or of bytes that
// are not UTF-8 in text.
func isBadText(err error) bool {
	e, ok := errors.AsType[*pgconn.PgError](err)
	return ok && (e.Code == "22021" || e.Code == "22P05")
}

// takenWhat names the unique value a violation is about, from the index
// or column names in the database's message.
func takenWhat(err error) string {
	msg := err.Error()
	if e, ok := errors.AsType[*pgconn.PgError](err); ok {
		msg = e.ConstraintName
	}
	switch {
	case strings.Contains(msg, "username"):
		return "username"
	case strings.Contains(msg, "external"):
		return "external ID"
	case strings.Contains(msg, "usher_groups"):
		return "group name"
	case strings.Contains(msg, "usher_tokens"):
		return "token hash"
	case strings.Contains(msg, "usher_users"):
		return "user ID"
	}
	return "unique value"
}

// isClosed reports whether err says the database handle was closed.
// database/sql does not export that error, so its text is compared.
func isClosed(err error) bool {
	return errors.Is(err, sql.ErrConnDone) || strings.Contains(err.Error(), "sql: database is closed")
}

package userstore

import "time"

// AuditKind says what an audit event records.
type AuditKind string

// Audit kinds written by the Service.
const (
	AuditLoginFailed      AuditKind = "login.failed"
	AuditLoginSucceeded   AuditKind = "login.succeeded"
	AuditLocked           AuditKind = "user.locked"
	AuditPasswordChanged  AuditKind = "password.changed"
	AuditPasswordSet      AuditKind = "password.set" // by an admin
	AuditPasswordReset    AuditKind = "password.reset"
	AuditResetRequested   AuditKind = "password.reset_requested"
	AuditPasswordRehashed AuditKind = "password.rehashed"
	AuditPasswordMigrated AuditKind = "password.migrated"
)

// AuditEvent is one entry of the audit trail: who, when, from where, what
// and why. It never holds a password, hash or token.
type AuditEvent struct {
	ID     string
	Time   time.Time
	Kind   AuditKind
	UserID string // empty when no user was found
	Login  string // what the user typed as their login
	Remote string // client address
	Reason string // the true reason of a failure, e.g. "unknown user"
	Detail map[string]string
}

// AuditFilter selects audit events. Zero fields match everything.
type AuditFilter struct {
	UserID string
	Kind   AuditKind
	Since  time.Time
	Limit  int
}

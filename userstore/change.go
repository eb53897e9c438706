package userstore

import "time"

// ChangeKind says what a change-feed event records.
type ChangeKind string

// Change kinds.
const (
	UserCreated   ChangeKind = "user.created"
	UserUpdated   ChangeKind = "user.updated" // includes password and login-state writes
	UserDeleted   ChangeKind = "user.deleted"
	GroupCreated  ChangeKind = "group.created"
	GroupUpdated  ChangeKind = "group.updated"
	GroupDeleted  ChangeKind = "group.deleted"
	MemberAdded   ChangeKind = "member.added"
	MemberRemoved ChangeKind = "member.removed"
)

// Change is one event of the change feed.
type Change struct {
	// Seq orders events; it is strictly increasing within a realm.
	Seq    int64
	Kind   ChangeKind
	UserID string // for user and member events
	Group  string // for group and member events
	At     time.Time
}

package userstore

import "time"

// ChangeKind says what a change-feed event records.
type ChangeKind string

// Change kinds.
const (
	UserCreated   ChangeKind = "user.created"
	UserUpdated   ChangeKind = "user.updated" // includes password changes, locks and unlocks (see LoginStateStore)
	UserDeleted   ChangeKind = "user.deleted"
	GroupCreated  ChangeKind = "group.created"
	GroupUpdated  ChangeKind = "group.updated" // includes renames: Group is the new name
	GroupDeleted  ChangeKind = "group.deleted"
	MemberAdded   ChangeKind = "member.added"
	MemberRemoved ChangeKind = "member.removed"
)

// Change is one event of the change feed.
type Change struct {
	// Seq is the event's position in the feed: strictly increasing
	// within a realm, but not necessarily consecutive (see ChangeFeed).
	Seq    int64
	Kind   ChangeKind
	UserID string // for user and member events
	Group  string // for group and member events: the group's name at the time
	// GroupID is the group's ID (Group.ID) for group and member events,
	// so that a follower can tell a renamed group; it is empty for events
	// written by releases before group IDs, when a follower goes by Group.
	GroupID string
	At      time.Time
}

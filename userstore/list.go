package userstore

// ListOptions filters and pages ListUsers.
type ListOptions struct {
	// After is the cursor: only users with ID > After are listed. Pass the
	// ID of the last user of a page to get the next page.
	After string
	// Limit caps the number of users; 0 means no limit (the store still
	// reads page by page).
	Limit int
	// Prefix, when set, keeps users whose normalized username begins with
	// the normalized Prefix.
	Prefix string
	// Group, when set, keeps members of that group.
	Group string
	// Role, when set, keeps users that hold that role (compared exactly).
	// No index serves it: stores test every user's roles in turn.
	Role string
	// Source, when set, keeps users synced from that source.
	Source string
	// Enabled, when set, keeps users whose Enabled equals *Enabled.
	Enabled *bool
}

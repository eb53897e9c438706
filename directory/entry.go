package directory

// Entry is one user as a source sees it, after attribute mapping.
type Entry struct {
	// Source is the Name of the source the entry came from.
	Source string
	// ExternalID is stable for the life of the user in the source:
	// objectGUID in Active Directory, entryUUID in OpenLDAP, the object id
	// in Azure AD, the username in CSV.
	ExternalID string
	// DN is the entry's distinguished name, for LDAP sources.
	DN string

	Username       string
	FullName       string
	CorporateEmail string
	PersonalEmail  string
	Phone          string
	// Groups are the names of the user's groups. LDAP sources give the
	// direct groups (memberOf) and, for Active Directory, the primary
	// group, or with their TransitiveGroups option every group at any
	// depth; see each source.
	Groups  []string
	Roles   []string
	Enabled bool

	// PasswordHash is a hash the hasher registry recognises, for sources
	// that carry passwords (a CSV import). Empty otherwise.
	PasswordHash string

	// Raw holds the source's attributes as read, by attribute name.
	Raw map[string][]string
}

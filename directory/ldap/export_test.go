package ldap

// For the Active Directory tests (ldap_test, build tag samba).
var (
	FormatGUIDForTest = formatGUID
	ParseGUIDForTest  = parseGUID
)

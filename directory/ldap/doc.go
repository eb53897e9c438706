// Package ldap is a directory.Source for LDAP directories (OpenLDAP and
// the like) and Microsoft Active Directory, built on go-ldap.
//
// A Source searches with a service account (Config.BindDN) and checks a
// password (directory.PasswordSource) by binding as the user on a
// connection of its own. It speaks
// ldap://, ldaps:// and StartTLS (Config.StartTLS, Config.RootCAFile).
// Its scope is every user under Config.BaseDN that Config.UserFilter
// selects, narrowed, when set, to the members of a group (Config.GroupDN,
// Config.MandatoryGroup), nested groups included.
//
// Users, Changes and Groups page through the directory (RFC 2696,
// Config.PageSize entries at a time) and yield entries as they arrive, so
// memory stays flat however many users the directory holds. Each such
// stream runs on a connection of its own, read by a small in-place BER
// decoder (go-ldap's allocates some 23 KB per entry; see
// directory/BENCHMARKS.md); a connection lost in the middle of a stream
// ends it with an error wrapping directory.ErrUnavailable. Lookups and
// binds use go-ldap on pooled connections; one the server or the network
// dropped is replaced on next use, and a request that meets a dead pooled
// connection is tried again on a fresh one. Every value put into a filter
// — a login, a group DN or name, a cursor — is escaped once, where the
// filter is built.
//
// # Errors
//
// Lookup wraps directory.ErrNotFound for an unknown, out-of-scope or
// ambiguous login. Authenticate gives ok false and a nil error for every
// refusal (wrong password, unknown user, disabled or locked account, empty
// password) and takes the same path for an unknown user as for a wrong
// password. Network faults, timeouts and a rejected service account wrap
// directory.ErrUnavailable.
//
// # Active Directory mode
//
// Config.ActiveDirectory switches the defaults to Active Directory's:
//
//   - Logins are userPrincipalNames. Config.Domain (default Config.Name) is
//     appended to a login typed without "@"; a login with "@" must end in
//     Domain or one of Config.UPNSuffixes (Notakey's upn_suffix), or it is
//     unknown. Down-level logins (DOMAIN\user) are not supported.
//   - The user filter is (&(objectCategory=person)(objectClass=user)); the
//     username is userPrincipalName.
//   - The external ID is objectGUID in its usual string form, the first
//     three groups byte-swapped as Windows shows it
//     (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, lower case).
//   - An account whose userAccountControl has the ACCOUNTDISABLE bit (2)
//     is a disabled entry (Enabled false), and Authenticate refuses it.
//   - Group scopes (GroupDN, MandatoryGroup — a DN or a group's cn) match
//     nested members through LDAP_MATCHING_RULE_IN_CHAIN
//     (memberOf:1.2.840.113556.1.4.1941:=DN); elsewhere the source itself
//     finds the groups inside the group and matches their memberOf.
//   - Changes follows uSNChanged instead of modifyTimestamp.
//
// The phone is the first value of the mapped attribute, so a mapping of
// phoneNumber to "mobile" gives the first mobile number (Notakey's FAQ).
package ldap

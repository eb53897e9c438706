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
// refusal (wrong password, unknown user, disabled, expired or locked
// account, empty password). Network faults, timeouts and a rejected
// service account wrap directory.ErrUnavailable.
//
// # Time
//
// A refusal takes as long whether or not the user exists. A directory
// server refuses a wrong password for a real account more slowly than a
// bind as a DN that does not exist (on Samba AD about 5× as slowly), so no
// refusal ends before the 75th percentile of the source's recent
// wrong-password refusals for real accounts, and no Lookup before the 75th
// percentile of those that found their user (timing.go says why this
// rather than a decoy account, and why that percentile). What the source resolves about groups and the server is kept
// for Config.GroupRefresh, so that a Lookup or a refusal is one search.
//
// # Groups
//
// Entry.Groups holds the names of the user's direct groups as the server
// gives them in memberOf and, in Active Directory mode, the primary group
// (primaryGroupID). With Config.TransitiveGroups it holds the groups at
// any depth, found by following the groups' own memberOf; outside Active
// Directory that needs the server to keep memberOf on groups (OpenLDAP's
// memberof overlay does, and the test server loads it), and without it
// the groups are the direct ones.
//
// # Active Directory mode
//
// Config.ActiveDirectory switches the defaults to Active Directory's:
//
//   - A login is a userPrincipalName, an account name (sAMAccountName) or
//     NETBIOS\name. Config.Domain (default Config.Name) is appended to a
//     bare name, which also matches the account name, so a user whose UPN
//     differs from the account name signs in with either. A login with "@"
//     must end in Domain or one of Config.UPNSuffixes (Notakey's
//     upn_suffix), or it is unknown; NETBIOS must be Config.NetBIOSDomain
//     (default: Domain's first label, upper case). A login that matches
//     two entries is unknown.
//   - The user filter is (&(objectCategory=person)(objectClass=user)); the
//     username is userPrincipalName.
//   - The external ID is objectGUID in its usual string form, the first
//     three groups byte-swapped as Windows shows it
//     (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, lower case).
//   - An account is a disabled entry (Enabled false), and Authenticate
//     refuses it, when userAccountControl has the ACCOUNTDISABLE bit (2),
//     when accountExpires (a FILETIME; 0 and 0x7FFFFFFFFFFFFFFF mean never)
//     has passed, or when lockoutTime is set and the domain's
//     lockoutDuration (read from the domain object, kept for
//     GroupRefresh) has not run out since; a lockoutDuration the service
//     account cannot read makes every set lockoutTime count.
//   - Group scopes (GroupDN, MandatoryGroup — a DN or a group's cn) match
//     nested members through LDAP_MATCHING_RULE_IN_CHAIN
//     (memberOf:1.2.840.113556.1.4.1941:=DN), and members through their
//     primary group: the RIDs of the group and of the groups nested in it
//     are matched against primaryGroupID, so mandatory_group "Domain
//     Users" (RID 513) admits the domain's users. Elsewhere the source
//     itself finds the groups inside the group and matches their memberOf.
//   - Changes follows uSNChanged instead of entryCSN (or modifyTimestamp).
//
// Outside Active Directory mode the source asks for no Active Directory
// attribute, and for ppolicy's pwdAccountLockedTime only when the root DSE
// lists ppolicy's control. Its Changes follow OpenLDAP's entryCSN when the
// entry at BaseDN has one (modifyTimestamp otherwise), so the first
// incremental step after a bulk load reads only what changed since; see
// Changes and Config.ChangeMargin for what that relies on.
//
// The phone is the first value of the mapped attribute, so a mapping of
// phoneNumber to "mobile" gives the first mobile number (Notakey's FAQ).
package ldap

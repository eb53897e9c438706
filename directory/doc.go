// Package directory reads users from user sources — LDAP and Active
// Directory, CSV files, Azure AD through Microsoft Graph — maps their
// attributes onto Usher's fields, and looks users up through a chain of
// sources.
//
// A [Source] is deliberately small: look up one user, authenticate a
// user's password, and stream every user in scope. What only some sources
// can do is an optional capability beside it ([ChangeSource], [GroupSource]),
// found by type assertion, in the manner of Dex's connectors.
//
// The sources live in sub-packages: directory/ldap, directory/csv and
// directory/graph.
package directory

// Package usher is the root of Usher, an embeddable Go SDK, with a
// reference server, for the whole lifecycle of a user's identity.
//
// The module is a set of packages that fit together but can be used alone:
//
//   - hasher: password hashers side by side (ASP.NET Core Identity V2/V3,
//     argon2id, bcrypt, scrypt, PBKDF2 and legacy formats) and a Registry
//     that verifies any of them and tells when a hash should be migrated.
//   - userstore: users, groups, logins, lock-out, passwords, audit trail and
//     a change feed, on SQLite, PostgreSQL or an in-memory fake; it hashes
//     with hasher.
//   - directory: user sources (LDAP and Active Directory, CSV, Azure AD via
//     Microsoft Graph), attribute mapping, lookup chains and one-way sync
//     into a userstore.
//   - activation: long-lived activation codes for accounts a back-end
//     creates, and the password-set step after them, built on userstore.
//   - onboarding, authrequest, claims (to come): device enrolment, push
//     sign-in approvals and OpenID Connect claim mapping.
//
// The command examples/server wires them into an HTTP server with an admin
// page. What the packages share lives in internal/ and is not for import.
//
// This package itself holds no code; it documents the module.
package usher

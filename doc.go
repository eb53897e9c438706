// Package usher is the root of Usher, an embeddable Go SDK, with a
// reference server, for the whole lifecycle of a user's identity.
//
// The module is a set of packages that fit together but can be used alone:
//
//   - database: the one database an application opens (SQLite embedded,
//     or PostgreSQL) and hands to every package's SQL store; every
//     component's migrations run through it, recorded in one table.
//   - hasher: password hashers side by side (ASP.NET Core Identity V2/V3,
//     argon2id, bcrypt, scrypt, PBKDF2 and legacy formats) and a Registry
//     that verifies any of them and tells when a hash should be migrated.
//   - userstore: users, groups, logins, lock-out, passwords, audit trail and
//     a change feed, on SQLite, PostgreSQL or an in-memory fake; it hashes
//     with hasher. userstore/scim is its SCIM 2.0 endpoint and
//     userstore/scim/push pushes its changes to a downstream SCIM service.
//   - directory: user sources (LDAP and Active Directory, CSV, Azure AD via
//     Microsoft Graph), attribute mapping, lookup chains and one-way sync
//     into a userstore, in this process or, through directory/syncapi, on
//     a server on another machine.
//   - activation: long-lived activation codes for accounts a back-end
//     creates, and the password-set step after them, built on userstore.
//   - claims: the one OpenID Connect client (sign-in, claim and
//     group-to-role mapping, Azure AD group overage, just-in-time
//     provisioning into a userstore, claim rules).
//   - onboarding: applications, requirement chains (credentials, SMS,
//     OpenID Connect, manual approval), device keys turned into X.509
//     certificates (local CA, SCEP), the device protocol and its client.
//   - authrequest: push authentication requests answered on enrolled
//     devices, authentication profiles with signed callbacks delivered
//     through a durable outbox, immediate approval and pre-approval.
//
// The command examples/server wires them into an HTTP server with an admin
// page. What the packages share lives in internal/ and is not for import.
//
// # Logging
//
// Every package follows one rule, so that an operator can read and filter
// the logs of all of them alike:
//
//   - A package logs only to a *slog.Logger the caller gives (a
//     WithLogger option or a Logger field); the default discards
//     everything. Messages start with the package's name and a colon
//     ("ldap: login refused"); attribute keys are lower-case snake_case
//     ("user_id", "source", "remote", "reason").
//   - An error is logged under the key "err", and only where it is not
//     also returned (a background loop, an HTTP handler answering a
//     generic error): what is returned is the caller's to log.
//   - Levels: Error for an infrastructure fault an operator must look at,
//     Warn for a degraded but working state, Info for events of security
//     interest (a refused login, a lock, a created code), Debug for
//     diagnostics.
//   - A refused login is Info, not Error, and logs the reason, the source,
//     the client address and the user's ID when a user was found — never
//     what was typed as the login. A typed login is personal data (and is
//     often a password typed into the wrong field, or the address of
//     someone without an account); it goes only to the audit trail, which
//     the application keeps under its own access control.
//   - Nothing secret is ever logged: no password, hash, token, activation
//     code, key or DSN with credentials.
//
// This package itself holds no code; it documents the module.
package usher

// Package onboarding links a user's device — an authenticator app holding a
// key pair — to a user of an application, and ends with an X.509 certificate
// for that key, after the Notakey Authentication Server's onboarding.
//
// An Application names an ordered chain of requirements (RequirementSpec).
// A Manager walks each onboarding (an Activity) through that chain in order:
// it cannot skip, reorder or repeat a met step, and every answer carries the
// activity's current single-use nonce, so that a replayed answer is refused.
// When every requirement is met, the device sends a PKCS #10 CSR signed with
// the key it started with and carrying the last nonce (issuer.VerifyCSR); the
// Manager enforces the application's device limit, has an issuer.Issuer
// issue the certificate and stores the Device.
//
// Storage is the Store interface: onboarding/memstore in memory,
// onboarding/sqlstore on the shared database (SQLite or PostgreSQL), both
// checked by onboarding/storetest.
package onboarding

// Package onboarding links a user's device — an authenticator app holding a
// key pair — to a user of an application, and ends with an X.509 certificate
// for that key, after the Notakey Authentication Server's onboarding.
//
// # Applications and their users
//
// An Application has a unique name (without regard to case), a layout for
// the authenticator, an ordered chain of requirements (RequirementSpec, at
// least one), a device limit per user (default 1) and a user pool. The pool
// is a userstore realm (Application.UserRealm) in the one shared database,
// not a store per application: realms keep pools independent, applications
// that should share users name the same realm, and the lookup chain of an
// application (directory.Chain over the realm's store and the application's
// sources) is what the Credentials requirement's Chain function returns for
// it.
//
// # Requirements
//
// A Requirement says what it asks the device for (Prompt) and checks the
// answer (Check); Credentials (a password through the application's lookup
// chain), SMS (a code sent to the user's phone, after Credentials; codes in
// package onboarding/sms, their SQL store sqlstore.Store.SMSCodes), OIDC (a
// sign-in at an OpenID Provider through package claims' one client, the user
// found or created by its Provisioner) and Manual are built in, and
// applications add their own through Config.Requirements. A requirement that
// takes two answers (SMS: the phone, then the code; OIDC: {} for the
// authorization URL, then the callback) returns Outcome Again after the
// first, which keeps the step and changes the nonce. A Manager walks each onboarding (an
// Activity) through its application's chain in order. Every answer names the
// step it is for and carries the activity's current nonce, which changes with
// every step: an answer for another step is ErrOutOfOrder (a step cannot be
// skipped, reordered or repeated), one with an old nonce is ErrReplay, and a
// wrong answer (ErrRefused) changes nothing. The check and the move to the
// next step are joined by the store's UpdateActivity, which refuses a nonce
// that a concurrent answer used meanwhile, so a step is met exactly once.
//
// Manual puts the onboarding in the pending list (Manager.Pending) with the
// picture and comparison code (package keyart) of the key the server
// received; an administrator compares them with the device's screen and calls
// Manager.Approve or Manager.Reject; the device polls Manager.Status.
//
// # Enrolment
//
// When every requirement is met, the device sends a PKCS #10 CSR signed with
// the key it started with, carrying the current nonce in challengePassword
// (issuer.VerifyCSR). Manager.Enrol checks the key (ErrKeyMismatch) and the
// device limit (ErrDeviceLimit, enforced again atomically by the store),
// consumes the nonce, has the issuer.Issuer issue the certificate and stores
// the Device. A refused CSR changes nothing. Manager.DestroyDevice and
// Manager.DestroyUserDevices revoke the certificates when the Issuer is an
// issuer.Revoker.
//
// # The device protocol
//
// Manager.DeviceHandler serves it as JSON over HTTP under /v1/; errors are
// Usher's one shape {"error": code, "message": text} with the stable Code
// constants. onboarding/deviceclient is its Go client.
//
// # Audit
//
// Every step is a userstore.AuditEvent sent to the Auditor given with
// WithAudit (a user store's AuditLog), of kind "onboarding.started",
// "onboarding.step", "onboarding.refused", "onboarding.approved",
// "onboarding.rejected", "onboarding.enrolled" or
// "onboarding.device_destroyed", with the activity, application, device and
// requirement tag in Detail. NotakeyLine formats one in Notakey's shape
//
//	[ONBOARDING] [activity] [user] [device] message
//
// Answers, passwords and nonces are never logged or audited.
//
// # Storage
//
// Store is what the Manager needs: onboarding/memstore in memory,
// onboarding/sqlstore on the shared database (SQLite or PostgreSQL), both
// checked by onboarding/storetest.
//
// A Manager is safe for concurrent use, also by several server processes
// sharing one SQL store.
package onboarding

// Package sms is the SMS part of onboarding: it normalises phone numbers
// to E.164, issues and verifies one-time codes, and sends them through a
// [Sender].
//
// The pieces:
//
//   - [Normalize] turns what a user typed into an E.164 number
//     ("+447700900123"), so that it can be compared with the phone of an
//     application user. It is a careful subset of the numbering rules, not
//     libphonenumber; its doc says what it accepts.
//   - [Codes] issues random numeric codes, keeps only a keyed hash
//     (HMAC-SHA-256) of each in a [CodeStore], and verifies them: single
//     use, with an expiry, an attempt limit and a resend throttle.
//     [MemStore] is the in-memory store; the SQL store comes with the
//     onboarding package's store; package smstest is the conformance
//     suite every store should pass.
//   - [Sender] delivers a [Message]; [Webhook] is the built-in sender, an
//     HTTP request built from templates whose values are escaped for the
//     place they land in (URL, header or body). [FileSender] writes each
//     message to a file instead, for development and tests only (the
//     device simulator reads codes from there).
//
// Checking that the normalised number belongs to the application user is
// the caller's job (the onboarding package), which must answer the same
// way whether or not the number matched, so that the SMS step does not
// reveal which numbers are registered.
package sms

// Package activation issues long-lived activation codes for accounts that a
// back-end creates, in the manner of PortalGuard's Account Activation.
//
// The back-end asks a [Manager] for a one-time code for a user and hands it
// to the person out of band (a letter, an SMS, in person). The person
// activates the account with the code — and, when so configured, extra
// data such as a birth date the back-end stored with it — and receives a
// short-lived password-set token; setting the password with that token
// completes the activation and clears the activation data.
//
// Codes are drawn uniformly with crypto/rand from PortalGuard's
// easy-to-read alphabet, ABCDEFGHJKLMNPQRTUVWXY346789 (no 0/O, 1/I, 2/Z,
// 5/S), shown in groups of Settings.HyphenEvery, and accepted without
// regard to case, spaces or hyphens (Unicode dashes included).
// Nothing secret is stored in plain text: codes, extra data and tokens are
// kept only as keyed hashes (HMAC-SHA-256 under the Manager's key) in the
// user store's token table, and compared in constant time.
//
// A wrong code is a strike through the user store's lock-out (the same
// counter as wrong passwords); at strike-out the account locks and, when so
// set, the activation data is deleted.
//
// [Manager.Activate] never reveals whether a user exists or has a code:
// every refusal of the account is [ErrActivationFailed], after the same
// store lookup and hash work, and the true reason goes to the store's
// audit trail ([AuditFailed]) and the log. Only the back-end's calls,
// [Manager.Create] and [Manager.Delete], say [ErrUserNotFound] or
// [ErrNoActivationData].
//
// [Manager.Outstanding] lists, for an administrator, every activation not
// yet complete — codes neither used nor expired, and open password-set
// windows ([StagePasswordSet]) — with the user, when the code was made
// and when it expires, in cursor pages ([Cursor], [ParseCursor]). As only
// hashes are stored, the list can never show a code.
//
// Three HTTP handlers expose it: [Manager.BatchHandler] (JSON create and
// delete for the back-end), [Manager.PortalGuardHandler] (the form-encoded
// endpoint existing PortalGuard scripts call, replying in its XML) and
// [Manager.UserHandler] (the end user's activate and set-password steps).
//
// The batch handlers log batch admins in through an [Authenticator]
// ([ServiceAuthenticator] over a read-only userstore.Service). Batch
// admins are service accounts, so a wrong password never counts towards
// their lock-out: anyone who can reach the handlers could otherwise stop
// the import pipeline with a few of them. The Manager throttles wrong
// attempts per client address instead (Settings.BatchAdminMaxFailures:
// after 5 in a row, the address is refused for 15 minutes without its
// password being checked; at most 10,000 addresses, about 2 MB, are
// remembered) and audits each wrong and each throttled attempt
// ([AuditBatchAdminFailed]).
package activation

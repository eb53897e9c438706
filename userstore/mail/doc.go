// Package mail sends e-mail for Usher: locked-account notifications,
// password-reset links, welcome mails. A [Sender] is one way to send; the
// package provides SMTP and Microsoft 365 (Graph sendMail) senders and reads
// their configuration from the JSON that ProAuth's UserStore uses.
//
//   - [SMTP] ([NewSMTP]) speaks to an SMTP server with implicit TLS (port
//     465), STARTTLS (port 587, never downgraded) or, for a local relay,
//     plain text; it logs in with AUTH PLAIN or LOGIN and refuses to send a
//     password unencrypted unless InsecureAllowPlainAuth says so. It builds
//     RFC 5322 messages: encoded headers, quoted-printable UTF-8 bodies, a
//     multipart/alternative when there is an HTML body, Date and Message-ID.
//   - [M365] ([NewM365]) posts to Microsoft Graph's sendMail with an access
//     token from the client credentials grant, and retries after 429 and
//     503 as Graph's Retry-After asks.
//   - [FromJSON] builds either from {"MailType":"SMTP",...} or
//     {"MailType":"M365",...}.
//
// A [Message] is checked before anything is sent: an address or subject
// with a line break, a malformed address or no recipient is refused with
// [ErrInvalidMessage], so no input can add a header.
//
// Errors: configuration problems wrap [ErrConfig]; refused credentials
// [ErrAuth]; an SMTP server's refusal is an [*SMTPError], Graph's a
// [*GraphError]; a send that ran out of time wraps
// [context.DeadlineExceeded]. Senders never log message bodies or secrets.
//
// Every Sender in this package is safe for concurrent use.
package mail

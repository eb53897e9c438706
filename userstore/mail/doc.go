// Package mail sends e-mail for Usher: locked-account notifications,
// password-reset links, welcome mails. A [Sender] is one way to send; the
// package provides SMTP and Microsoft 365 (Graph sendMail) senders and reads
// their configuration from the JSON that ProAuth's UserStore uses.
package mail

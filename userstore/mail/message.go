package mail

import "context"

// Message is one e-mail. Text is the plain-text body; HTML, when set, is
// sent as an alternative part.
type Message struct {
	From    string // empty: the sender's configured default
	To      []string
	Subject string
	Text    string
	HTML    string
}

// Sender sends e-mail. Implementations are safe for concurrent use.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

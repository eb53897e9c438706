package mail_test

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/usher-sdk/usher/userstore/mail"
)

// FromJSON reads the mail settings of ProAuth's UserStore; the MailType
// picks the sender.
func ExampleFromJSON() {
	smtp, err := mail.FromJSON([]byte(`{
		"MailType": "SMTP",
		"Host": "smtp.example.com", "Port": 587, "EnableSsl": true,
		"Username": "mailer", "Password": "secret",
		"From": "Usher <noreply@example.com>", "Timeout": 30
	}`))
	fmt.Printf("%T %v\n", smtp, err)

	m365, err := mail.FromJSON([]byte(`{
		"MailType": "M365",
		"TenantId": "contoso.onmicrosoft.com",
		"ClientId": "11111111-2222-3333-4444-555555555555",
		"ClientSecret": "secret",
		"From": "noreply@contoso.com"
	}`))
	fmt.Printf("%T %v\n", m365, err)

	_, err = mail.FromJSON([]byte(`{"MailType": "SMTP", "Port": 587}`))
	fmt.Println(errors.Is(err, mail.ErrConfig))
	fmt.Println(err)
	// Output:
	// *mail.SMTP <nil>
	// *mail.M365 <nil>
	// true
	// mail: smtp: missing required field "Host": mail: invalid configuration
	// mail: smtp: missing required field "From": mail: invalid configuration
}

// outbox is a Sender that keeps messages, as a downstream unit test might.
type outbox struct {
	mu   sync.Mutex
	sent []mail.Message
}

func (o *outbox) Send(_ context.Context, m mail.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, m)
	return nil
}

// Code that sends mail takes a Sender, so tests can pass their own.
func ExampleSender() {
	notifyLocked := func(ctx context.Context, s mail.Sender, to string) error {
		return s.Send(ctx, mail.Message{
			To:      []string{to},
			Subject: "Your account is locked",
			Text:    "Too many wrong passwords. Try again in 15 minutes.",
		})
	}
	var box outbox
	if err := notifyLocked(context.Background(), &box, "ann@example.com"); err != nil {
		fmt.Println(err)
	}
	fmt.Println(len(box.sent), box.sent[0].To[0], box.sent[0].Subject)
	// Output:
	// 1 ann@example.com Your account is locked
}

// A line break in an address or subject could add headers (a Bcc to an
// attacker); senders refuse such messages before connecting.
func ExampleParseAddress() {
	a, err := mail.ParseAddress("Ann Example <ann@example.com>")
	fmt.Println(a.Name, a.Address, err)

	_, err = mail.ParseAddress("ann@example.com\r\nBcc: mallory@example.net")
	fmt.Println(errors.Is(err, mail.ErrInvalidMessage))
	// Output:
	// Ann Example ann@example.com <nil>
	// true
}

package sms_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/usher-sdk/usher/onboarding/sms"
)

func ExampleNormalize() {
	for _, in := range []string{"+44 7700 900123", "07700-900-123", "(212) 555-0100", "1-800-FLOWERS"} {
		region := "+44"
		if in[0] == '(' || in[0] == '1' {
			region = "+1"
		}
		e164, err := sms.Normalize(in, region)
		fmt.Printf("%q → %q %v\n", in, e164, errors.Is(err, sms.ErrInvalidPhone))
	}
	// Output:
	// "+44 7700 900123" → "+447700900123" false
	// "07700-900-123" → "+447700900123" false
	// "(212) 555-0100" → "+12125550100" false
	// "1-800-FLOWERS" → "" true
}

// printer is a Sender that prints instead of sending.
type printer struct{}

func (printer) Send(_ context.Context, m sms.Message) error {
	fmt.Printf("to %s: %s\n", m.To, m.Text)
	return nil
}

// fixedRand repeats the same bytes, so that the example's code is known.
type fixedRand struct{}

func (fixedRand) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = []byte{0x01, 0x23, 0x45}[i%3]
	}
	return len(p), nil
}

func ExampleCodes() {
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	codes, err := sms.NewCodes(sms.CodesConfig{
		Key:  []byte("an example key of at least 32 bytes!"),
		Now:  func() time.Time { return now },
		Rand: fixedRand{}, // leave nil in real use: crypto/rand
	}, &sms.MemStore{})
	if err != nil {
		panic(err)
	}
	var sender sms.Sender = printer{}

	phone, _ := sms.Normalize("07700 900123", "+44")
	code, _ := codes.Issue(ctx, "activity-8c620", phone)
	_ = sender.Send(ctx, sms.Message{To: phone, Text: "Your code is " + code, Code: code})

	_, err = codes.Issue(ctx, "activity-8c620", phone)
	fmt.Println("resend at once:", errors.Is(err, sms.ErrThrottled))
	_, err = codes.Verify(ctx, "activity-8c620", "000000")
	fmt.Println("wrong:", errors.Is(err, sms.ErrWrongCode))
	verified, err := codes.Verify(ctx, "activity-8c620", code)
	fmt.Println("right:", verified, err)
	_, err = codes.Verify(ctx, "activity-8c620", code)
	fmt.Println("again:", errors.Is(err, sms.ErrNoCode))
	// Output:
	// to +447700900123: Your code is 074565
	// resend at once: true
	// wrong: true
	// right: +447700900123 <nil>
	// again: true
}

func ExampleWebhook() {
	gateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Println(r.Method, r.URL.RequestURI(), r.Header.Get("Content-Type"))
		fmt.Println(string(body))
	}))
	defer gateway.Close()

	w, err := sms.NewWebhook(sms.WebhookConfig{
		URL:         gateway.URL + "/v1/messages?to={{.To}}",
		Headers:     map[string]string{"Authorization": "Bearer example-token"},
		ContentType: "application/json",
		Body:        `{"to":"{{.To}}","text":"{{.Text}}"}`,
	})
	if err != nil {
		panic(err)
	}
	err = w.Send(context.Background(), sms.Message{To: "+447700900123", Text: `Code "074565"` + "\n}}&x=1"})
	fmt.Println(err)
	// Output:
	// POST /v1/messages?to=%2B447700900123 application/json
	// {"to":"+447700900123","text":"Code \"074565\"\n}}\u0026x=1"}
	// <nil>
}

package mail

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	netmail "net/mail"
	"slices"
	"strings"
	"testing"
	"time"
)

type mailAddress = netmail.Address

// FuzzFromJSON: any input gives a Sender or an error wrapping ErrConfig,
// never a panic, and an error never shows the password or client secret.
func FuzzFromJSON(f *testing.F) {
	for _, s := range []string{
		`{"MailType":"SMTP","Host":"smtp.example.com","Port":587,"Username":"u","Password":"p4ssw0rd!","From":"a@b.c","EnableSsl":true,"Timeout":30}`,
		`{"MailType":"M365","TenantId":"t","ClientId":"c","ClientSecret":"cl13nt-s3cret","From":"a@b.c"}`,
		`{"mailtype":"smtp","port":"25","security":"none","timeout":"1m","from":"Ann <a@b.c>","host":"h"}`,
		`{"MailType":"SMTP","Port":-1,"EnableSsl":"maybe","Host":"h h","From":"x"}`,
		`{"MailType":"M365","TenantId":"../x","GraphUrl":"ftp://x","TokenUrl":"::"}`,
		`[]`, `null`, `{"MailType":1}`, `{"MailType":"SMTP","Timeout":1e308}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := FromJSON(data)
		if err == nil {
			if s == nil {
				t.Fatal("nil Sender without error")
			}
			return
		}
		if !errors.Is(err, ErrConfig) {
			t.Fatalf("error does not wrap ErrConfig: %v", err)
		}
		var fields map[string]any
		if json.Unmarshal(data, &fields) != nil {
			return
		}
		for k, v := range fields {
			secret, ok := v.(string)
			lk := strings.ToLower(k)
			if !ok || (lk != "password" && lk != "clientsecret") || len(secret) < 4 || strings.Count(string(data), secret) != 1 {
				continue
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("error reveals %s: %v", k, err)
			}
		}
	})
}

// FuzzCompose: whatever the addresses, subject and bodies, a message is
// either refused with ErrInvalidMessage or renders to exactly the headers
// we write (no injection), with the same addresses, the same subject and
// the same bodies as a reader decodes them, in lines within the limits.
func FuzzCompose(f *testing.F) {
	f.Add("Usher <noreply@usher.test>", "ann@example.com", "Bob <bob@example.org>", "Grüezi – gesperrt", "Text\n.\nend", "<p>x</p>")
	f.Add("a@b.c", "b@c.d\r\nBcc: e@f.g", "", "hi\r\nX: y", "", "")
	f.Add(`"q\"uoted" <a@b.c>`, `"john doe"@example.com`, "=?utf-8?q?x?= <x@y.z>", "=?utf-8?q?fake?=", strings.Repeat("x", 200), "")
	f.Add("a@b.c", "c@d.e", "", strings.Repeat("lång ", 60), "\r\n\r\n.\r\n", "")
	f.Fuzz(func(t *testing.T, from, to1, to2, subject, text, html string) {
		to := []string{to1}
		if to2 != "" {
			to = append(to, to2)
		}
		p, err := prepare(Message{From: from, To: to, Subject: subject, Text: text, HTML: html}, nil)
		if err != nil {
			if !errors.Is(err, ErrInvalidMessage) {
				t.Fatalf("prepare: error does not wrap ErrInvalidMessage: %v", err)
			}
			return
		}
		data, err := p.rfc5322(time.Unix(1700000000, 0).UTC())
		if err != nil {
			if !errors.Is(err, ErrInvalidMessage) {
				t.Fatalf("rfc5322: error does not wrap ErrInvalidMessage: %v", err)
			}
			return
		}
		head, _, _ := bytes.Cut(data, []byte("\r\n\r\n"))
		for _, line := range bytes.Split(head, []byte("\r\n")) {
			if len(line) > maxLine || bytes.ContainsAny(line, "\r\n") {
				t.Fatalf("bad header line %q", line)
			}
		}
		msg, err := netmail.ReadMessage(bufio.NewReader(bytes.NewReader(data)))
		if err != nil {
			t.Fatalf("unreadable message: %v\n%s", err, data)
		}
		var keys []string
		for k := range msg.Header {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		want := []string{"Content-Transfer-Encoding", "Content-Type", "Date", "From", "Message-Id", "Mime-Version", "Subject", "To"}
		if html != "" {
			want = []string{"Content-Type", "Date", "From", "Message-Id", "Mime-Version", "Subject", "To"}
		}
		if !slices.Equal(keys, want) {
			t.Fatalf("headers %v, want %v\n%s", keys, want, data)
		}
		for _, k := range keys {
			if len(msg.Header[k]) != 1 {
				t.Fatalf("header %s appears %d times", k, len(msg.Header[k]))
			}
		}
		if got, err := msg.Header.AddressList("From"); err != nil || len(got) != 1 || got[0].Address != p.from.Address {
			t.Fatalf("From %q reads as %v, %v; want %s", msg.Header.Get("From"), got, err, p.from.Address)
		}
		gotTo, err := msg.Header.AddressList("To")
		if err != nil || len(gotTo) != len(p.to) {
			t.Fatalf("To %q reads as %v, %v; want %d addresses", msg.Header.Get("To"), gotTo, err, len(p.to))
		}
		for i := range gotTo {
			if gotTo[i].Address != p.to[i].Address {
				t.Fatalf("To[%d] = %q, want %q", i, gotTo[i].Address, p.to[i].Address)
			}
		}
		decoded, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if err != nil {
			t.Fatalf("subject %q: %v", msg.Header.Get("Subject"), err)
		}
		if collapse(decoded) != collapse(subject) {
			t.Fatalf("subject reads as %q, want %q", decoded, subject)
		}
		if html == "" {
			body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
			if err != nil {
				t.Fatalf("body: %v", err)
			}
			if lineEnds(string(body)) != lineEnds(text)+"\n" {
				t.Fatalf("body reads as %q, want %q", body, text)
			}
		}
	})
}

// collapse joins runs of spaces and tabs and trims, as header unfolding may.
func collapse(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' }), " ")
}

// lineEnds makes every CRLF and lone CR an LF.
func lineEnds(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

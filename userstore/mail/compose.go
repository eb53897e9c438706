package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"net/textproto"
	"strings"
	"time"
	"unicode/utf8"
)

// maxLine is the limit of RFC 5322 section 2.1.1 on a line, without CRLF.
const maxLine = 998

// prepared is a validated message: parsed addresses, checked subject and
// bodies. Building it is the single place where outside input is checked.
type prepared struct {
	from    *netmail.Address
	to      []*netmail.Address
	subject string
	text    string
	html    string
}

// prepare validates m; defaultFrom replaces an empty m.From. Every error
// wraps ErrInvalidMessage.
func prepare(m Message, defaultFrom *netmail.Address) (prepared, error) {
	p := prepared{from: defaultFrom, subject: m.Subject, text: m.Text, html: m.HTML}
	if m.From != "" {
		a, err := parseAddress("From", m.From)
		if err != nil {
			return prepared{}, err
		}
		p.from = a
	}
	if p.from == nil {
		return prepared{}, fmt.Errorf("%w: no From address", ErrInvalidMessage)
	}
	if len(m.To) == 0 {
		return prepared{}, fmt.Errorf("%w: no recipient", ErrInvalidMessage)
	}
	for _, s := range m.To {
		a, err := parseAddress("To", s)
		if err != nil {
			return prepared{}, err
		}
		p.to = append(p.to, a)
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return prepared{}, fmt.Errorf("%w: line break in the subject", ErrInvalidMessage)
	}
	for _, f := range []struct{ name, value string }{{"subject", m.Subject}, {"text body", m.Text}, {"HTML body", m.HTML}} {
		if !utf8.ValidString(f.value) {
			return prepared{}, fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalidMessage, f.name)
		}
	}
	return p, nil
}

// ParseAddress parses one address as Message.From and Message.To accept it:
// "user@example.com" or "Name <user@example.com>". A line break or other
// control character is refused, so an address can never add a header.
// The error wraps [ErrInvalidMessage].
func ParseAddress(s string) (*netmail.Address, error) {
	return parseAddress("", s)
}

func parseAddress(field, s string) (*netmail.Address, error) {
	what := "address"
	if field != "" {
		what = field + " address"
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return nil, fmt.Errorf("%w: control character in %s %q", ErrInvalidMessage, what, s)
		}
	}
	a, err := netmail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %s %q: %v", ErrInvalidMessage, what, s, err)
	}
	return a, nil
}

// addrSpec is the address as SMTP's MAIL FROM and RCPT TO take it, quoted
// when the local part needs it, without angle brackets.
func addrSpec(a *netmail.Address) string {
	s := (&netmail.Address{Address: a.Address}).String()
	return strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">")
}

// rfc5322 renders the message: headers folded and, where not ASCII,
// encoded (RFC 2047 Q), bodies in quoted-printable UTF-8, a
// multipart/alternative when there is an HTML body.
func (p prepared) rfc5322(now time.Time) ([]byte, error) {
	var b bytes.Buffer
	hdr := func(name, value string) error {
		return writeHeader(&b, name, value)
	}
	to := make([]string, len(p.to))
	for i, a := range p.to {
		to[i] = a.String()
	}
	if err := hdr("From", p.from.String()); err != nil {
		return nil, err
	}
	if err := hdr("To", strings.Join(to, ", ")); err != nil {
		return nil, err
	}
	if err := hdr("Subject", encodeSubject(p.subject)); err != nil {
		return nil, err
	}
	_ = hdr("Date", now.Format(time.RFC1123Z))
	_ = hdr("Message-ID", messageID(p.from))
	_ = hdr("MIME-Version", "1.0")

	if p.html == "" {
		_ = hdr("Content-Type", "text/plain; charset=utf-8")
		_ = hdr("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		if err := writeQP(&b, p.text); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = hdr("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}))
	b.WriteString("\r\n")
	for _, part := range []struct{ ctype, content string }{
		{"text/plain; charset=utf-8", p.text},
		{"text/html; charset=utf-8", p.html},
	} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.ctype},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		if err := writeQP(w, part.content); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	b.Write(body.Bytes())
	return b.Bytes(), nil
}

func writeQP(w io.Writer, s string) error {
	qp := quotedprintable.NewWriter(w)
	if _, err := qp.Write([]byte(s)); err != nil {
		return err
	}
	if err := qp.Close(); err != nil {
		return err
	}
	_, err := w.Write([]byte("\r\n"))
	return err
}

// writeHeader writes "Name: value" folded at spaces so that lines stay
// within 78 characters where the value allows it, and refuses a line over
// the hard limit of 998. value never holds CR or LF (prepare checked).
func writeHeader(b *bytes.Buffer, name, value string) error {
	line := name + ":"
	for i, word := range strings.Split(value, " ") {
		switch {
		case i == 0 || len(line)+1+len(word) <= 78 || strings.TrimSpace(line) == "":
			line += " " + word
		default:
			if len(line) > maxLine {
				return fmt.Errorf("%w: %s header has a line over %d characters", ErrInvalidMessage, name, maxLine)
			}
			b.WriteString(line + "\r\n")
			line = " " + word
		}
	}
	if len(line) > maxLine {
		return fmt.Errorf("%w: %s header has a line over %d characters", ErrInvalidMessage, name, maxLine)
	}
	b.WriteString(line + "\r\n")
	return nil
}

// encodeSubject encodes a subject that is not plain ASCII as RFC 2047
// Q-encoded words. A subject that merely looks like an encoded word ("=?")
// is encoded too (as B words), so that readers show it as written.
func encodeSubject(s string) string {
	if !strings.Contains(s, "=?") {
		return mime.QEncoding.Encode("utf-8", s)
	}
	var words []string
	for len(s) > 0 {
		n := min(len(s), 45) // 45 bytes are 60 base64 characters: a word of 72
		for n < len(s) && !utf8.RuneStart(s[n]) {
			n--
		}
		words = append(words, "=?utf-8?b?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
	}
	return strings.Join(words, " ")
}

// messageID returns a unique Message-ID in the sender's domain.
func messageID(from *netmail.Address) string {
	var r [16]byte
	_, _ = rand.Read(r[:])
	domain := "usher.invalid"
	if i := strings.LastIndexByte(from.Address, '@'); i >= 0 && i < len(from.Address)-1 {
		domain = from.Address[i+1:]
	}
	return "<" + hex.EncodeToString(r[:]) + "@" + domain + ">"
}

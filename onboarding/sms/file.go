package sms

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// FileSender is a DEVELOPMENT-ONLY [Sender]: instead of sending an SMS it
// writes each message to a file in a folder, DIR/<E.164 number>.txt
// ("+447700900123.txt"), where a developer, a test or the device simulator
// (examples/device, onboard -sms-dir) reads the code.
//
// DO NOT USE IT IN PRODUCTION. The files hold one-time codes in clear
// text: anyone who can read the folder can complete the SMS step for any
// number. It exists so that a server can be tried without an SMS gateway.
//
// Each file is written whole or not at all (a temporary file in the same
// folder, then a rename), with mode 0600, and replaces the file of an
// earlier message to the same number. The folder is created with mode
// 0700 when missing (an existing folder's mode is left alone). The number
// must be E.164, "+" and digits only, so a file name can never leave the
// folder. The file is a few "Name: value" lines, a blank line and the
// text; [ParseFile] reads it back.
//
// Make it with [NewFileSender]. It is safe for concurrent use, also by
// several processes writing one folder.
type FileSender struct {
	dir string
}

// NewFileSender returns a FileSender writing to dir, which it makes
// absolute; dir need not exist yet.
func NewFileSender(dir string) (*FileSender, error) {
	if strings.TrimSpace(dir) == "" {
		return nil, errors.New("sms: FileSender needs a folder")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("sms: FileSender folder: %w", err)
	}
	return &FileSender{dir: abs}, nil
}

// Dir returns the folder the sender writes to, absolute.
func (f *FileSender) Dir() string { return f.dir }

// FilePath returns the file a [FileSender] writing to dir writes the
// messages to number into: dir/<number>.txt. number must be E.164 (as
// [Normalize] returns it); anything else (a path, "..", a NUL) is
// refused with an error wrapping [ErrInvalidMessage], so the result is
// always directly inside dir.
func FilePath(dir, number string) (string, error) {
	if !isE164(number) {
		return "", fmt.Errorf("%w: %q is not an E.164 number", ErrInvalidMessage, truncateForError(number))
	}
	return filepath.Join(dir, number+".txt"), nil
}

// Send writes msg to its number's file. It refuses what [Webhook.Send]
// refuses (a To that is not E.164, a Text or Code too long) and a Code
// with other than letters and digits.
func (f *FileSender) Send(ctx context.Context, msg Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sms: file sender: %w", err)
	}
	if err := checkMessage(msg); err != nil {
		return err
	}
	if !utf8.ValidString(msg.Text) {
		return fmt.Errorf("%w: Text is not UTF-8", ErrInvalidMessage)
	}
	for _, c := range []byte(msg.Code) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return fmt.Errorf("%w: Code holds other than letters and digits", ErrInvalidMessage)
		}
	}
	path, err := FilePath(f.dir, msg.To)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return fmt.Errorf("sms: file sender: %w", err)
	}
	tmp, err := os.CreateTemp(f.dir, ".sms-*.tmp") // mode 0600
	if err != nil {
		return fmt.Errorf("sms: file sender: %w", err)
	}
	done := false
	defer func() {
		if !done {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(formatFile(msg)); err != nil {
		return fmt.Errorf("sms: file sender: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sms: file sender: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("sms: file sender: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		_ = os.Remove(tmp.Name())
		done = true
		return fmt.Errorf("sms: file sender: %w", err)
	}
	done = true
	return nil
}

// formatFile is the file of msg: header lines, a blank line, the text.
func formatFile(msg Message) []byte {
	var b bytes.Buffer
	b.WriteString("To: " + msg.To + "\n")
	if msg.Code != "" {
		b.WriteString("Code: " + msg.Code + "\n")
	}
	b.WriteString("\n")
	b.WriteString(msg.Text)
	return b.Bytes()
}

// maxFile bounds what ParseFile reads: the headers and the longest text.
const maxFile = maxText + 256

// ErrMalformedFile is returned (wrapped) by [ParseFile] for what a
// [FileSender] did not write.
var ErrMalformedFile = errors.New("sms: not a FileSender file")

// ParseFile reads back a file that a [FileSender] wrote: its To, Code
// (empty when the message had none) and Text. It refuses (with an error
// wrapping [ErrMalformedFile]) input over a few KiB, without a valid To,
// or with an unknown or repeated header.
func ParseFile(data []byte) (Message, error) {
	if len(data) > maxFile {
		return Message{}, fmt.Errorf("%w: longer than %d bytes", ErrMalformedFile, maxFile)
	}
	head, text, ok := bytes.Cut(data, []byte("\n\n"))
	if !ok {
		return Message{}, fmt.Errorf("%w: no blank line after the headers", ErrMalformedFile)
	}
	var msg Message
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(head))
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ": ")
		if !ok || seen[name] {
			return Message{}, fmt.Errorf("%w: bad or repeated header line", ErrMalformedFile)
		}
		seen[name] = true
		switch name {
		case "To":
			msg.To = value
		case "Code":
			msg.Code = value
		default:
			return Message{}, fmt.Errorf("%w: unknown header %q", ErrMalformedFile, truncateForError(name))
		}
	}
	msg.Text = string(text)
	if !isE164(msg.To) {
		return Message{}, fmt.Errorf("%w: no E.164 To header", ErrMalformedFile)
	}
	if len(msg.Code) > 32 || !utf8.ValidString(msg.Text) {
		return Message{}, fmt.Errorf("%w: bad Code or Text", ErrMalformedFile)
	}
	return msg, nil
}

// truncateForError shortens s for an error message.
func truncateForError(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}

var _ Sender = (*FileSender)(nil)

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/usher-sdk/usher/internal/keyfile"
	"github.com/usher-sdk/usher/onboarding"
)

// maxLine bounds one line read from standard input or a password file.
const maxLine = 4096

// errNoInput: standard input ended before the answer.
var errNoInput = errors.New("no answer on standard input")

// ask prints question and reads one line of standard input, without its
// line ending. hint names the flag that would have answered instead. It
// returns when ctx ends (SIGINT) even while the read blocks; the program
// then ends, so the blocked read is left behind.
func (a *app) ask(ctx context.Context, question, hint string) (string, error) {
	fmt.Fprint(a.stdout, question)
	type result struct {
		line []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		line, err := a.in.ReadSlice('\n')
		done <- result{bytes.Clone(line), err}
	}()
	var line []byte
	var err error
	select {
	case <-ctx.Done():
		fmt.Fprintln(a.stdout)
		return "", ctx.Err()
	case r := <-done:
		line, err = r.line, r.err
	}
	if errors.Is(err, io.EOF) && len(line) > 0 {
		err = nil
	}
	switch {
	case errors.Is(err, io.EOF):
		fmt.Fprintln(a.stdout)
		if hint != "" {
			return "", fmt.Errorf("%w (give %s)", errNoInput, hint)
		}
		return "", errNoInput
	case errors.Is(err, bufio.ErrBufferFull):
		return "", fmt.Errorf("answer longer than %d bytes", maxLine)
	case err != nil:
		return "", fmt.Errorf("reading standard input: %w", err)
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}

// askPassword reads a password from standard input. The simulator does not
// depend on golang.org/x/term, so the terminal echoes what is typed; the
// prompt says so and names -password-file, which scripts should use.
func (a *app) askPassword(ctx context.Context) (string, error) {
	return a.ask(ctx, "Password (the terminal shows it; -password-file avoids that): ", "-password-file")
}

// readPasswordFile returns the first line of path, a secret file (mode
// 0600 or stricter), without its line ending.
func readPasswordFile(path string) (string, error) {
	data, err := keyfile.ReadSecret(path)
	if err != nil {
		return "", fmt.Errorf("password file: %w", err)
	}
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		data = data[:i]
	}
	pw := strings.TrimRight(string(data), "\r")
	if pw == "" {
		return "", fmt.Errorf("password file %s: the first line is empty", path)
	}
	if len(pw) > onboarding.MaxCredentialLength {
		return "", fmt.Errorf("password file %s: longer than %d bytes", path, onboarding.MaxCredentialLength)
	}
	return pw, nil
}

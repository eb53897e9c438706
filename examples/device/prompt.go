package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

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

// askPassword reads a password from standard input: from a terminal
// without echo (golang.org/x/term), otherwise (a pipe, a test) as a line.
func (a *app) askPassword(ctx context.Context) (string, error) {
	if a.tty == nil {
		return a.ask(ctx, "Password (standard input is not a terminal, so it is read as a line): ", "-password-file")
	}
	return a.askHidden(ctx, "Password: ")
}

// askHidden prints question and reads one line from the terminal with
// echo off. When ctx ends (SIGINT) while it waits, the terminal's state
// is restored before it returns, so the shell does not inherit a terminal
// without echo.
func (a *app) askHidden(ctx context.Context, question string) (string, error) {
	if a.in.Buffered() > 0 { // typed ahead: already read from the terminal
		return a.ask(ctx, question, "")
	}
	fd := int(a.tty.Fd())
	saved, err := term.GetState(fd)
	if err != nil {
		return "", fmt.Errorf("terminal: %w", err)
	}
	fmt.Fprint(a.stdout, question)
	type result struct {
		line []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		line, err := term.ReadPassword(fd)
		done <- result{line, err}
	}()
	select {
	case <-ctx.Done():
		_ = term.Restore(fd, saved)
		fmt.Fprintln(a.stdout)
		return "", ctx.Err()
	case r := <-done:
		fmt.Fprintln(a.stdout)
		if r.err != nil {
			return "", fmt.Errorf("reading the terminal: %w", r.err)
		}
		if len(r.line) > maxLine {
			return "", fmt.Errorf("answer longer than %d bytes", maxLine)
		}
		return strings.TrimRight(string(r.line), "\r\n"), nil
	}
}

// terminalOf returns stdin as a file when it is a terminal, else nil.
func terminalOf(stdin io.Reader) *os.File {
	f, ok := stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return f
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

package csv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"iter"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/usher-sdk/usher/directory"
)

// Source is a directory.Source, directory.PasswordSource and
// directory.ChangeSource over a CSV file.
// It rereads the file when its size or modification time changes. It is
// safe for concurrent use.
type Source struct {
	cfg  Config
	opts options

	mu      sync.Mutex
	size    int64
	modTime time.Time
	digest  string // cursor of the cached content
	res     Result
}

var (
	_ directory.Source         = (*Source)(nil)
	_ directory.PasswordSource = (*Source)(nil)
	_ directory.ChangeSource   = (*Source)(nil)
)

// Open returns a Source over cfg.Path. It does not read the file yet, so a
// file that appears later is fine; every call reports the file's errors.
func Open(cfg Config, opts ...Option) (*Source, error) {
	if cfg.Path == "" {
		return nil, fmt.Errorf("csv: missing required field %q", "Path")
	}
	return &Source{cfg: cfg.withDefaults(), opts: buildOptions(opts)}, nil
}

// Name returns Config.Name (default "csv").
func (s *Source) Name() string { return s.cfg.Name }

// load returns the current content of the file, read again only when it
// changed. A file that cannot be opened gives an error wrapping
// directory.ErrUnavailable.
func (s *Source) load(ctx context.Context) (Result, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fi, err := os.Stat(s.cfg.Path)
	if err != nil {
		return Result{}, "", fmt.Errorf("csv: %w: %w", directory.ErrUnavailable, err)
	}
	if s.digest != "" && fi.Size() == s.size && fi.ModTime().Equal(s.modTime) {
		return s.res, s.digest, nil
	}
	f, err := os.Open(s.cfg.Path)
	if err != nil {
		return Result{}, "", fmt.Errorf("csv: %w: %w", directory.ErrUnavailable, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, s.cfg.MaxBytes+1))
	if err != nil {
		return Result{}, "", fmt.Errorf("csv: %w: reading %s: %w", directory.ErrUnavailable, s.cfg.Path, err)
	}
	if int64(len(data)) > s.cfg.MaxBytes {
		return Result{}, "", fmt.Errorf("%w: %s is larger than %d bytes", ErrTooLarge, s.cfg.Path, s.cfg.MaxBytes)
	}
	sum := sha256.Sum256(data)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	if digest == s.digest { // touched, not changed: keep the hashes made at import
		s.size, s.modTime = fi.Size(), fi.ModTime()
		return s.res, s.digest, nil
	}
	res, err := readBytes(ctx, data, s.cfg, s.opts)
	if err != nil {
		return Result{}, "", fmt.Errorf("csv: %s: %w", s.cfg.Path, err)
	}
	s.size, s.modTime, s.digest, s.res = fi.Size(), fi.ModTime(), digest, res
	return res, digest, nil
}

// find returns the entry whose username or corporate e-mail is login,
// compared without regard to case.
func find(entries []directory.Entry, login string) (directory.Entry, bool) {
	login = strings.TrimSpace(login)
	if login == "" {
		return directory.Entry{}, false
	}
	for _, e := range entries {
		if strings.EqualFold(e.Username, login) || (e.CorporateEmail != "" && strings.EqualFold(e.CorporateEmail, login)) {
			return cloneEntry(e), true
		}
	}
	return directory.Entry{}, false
}

// cloneEntry copies the slices and map of e so callers cannot change the
// cached entries.
func cloneEntry(e directory.Entry) directory.Entry {
	e.Groups = append([]string(nil), e.Groups...)
	e.Roles = append([]string(nil), e.Roles...)
	if e.Raw != nil {
		raw := make(map[string][]string, len(e.Raw))
		for k, v := range e.Raw {
			raw[k] = append([]string(nil), v...)
		}
		e.Raw = raw
	}
	return e
}

// Lookup returns the user whose username or corporate e-mail is login.
func (s *Source) Lookup(ctx context.Context, login string) (directory.Entry, error) {
	res, _, err := s.load(ctx)
	if err != nil {
		return directory.Entry{}, err
	}
	e, ok := find(res.Entries, login)
	if !ok {
		return directory.Entry{}, fmt.Errorf("csv: %w", directory.ErrNotFound)
	}
	return e, nil
}

// Authenticate checks password against the user's imported password hash.
// A user without a hash, a disabled user, an unknown user, a wrong or empty
// password all give ok == false, after a comparison that takes as long as
// a real one. Without WithHasher nobody authenticates.
func (s *Source) Authenticate(ctx context.Context, login, password string) (directory.Entry, bool, error) {
	h := s.opts.hasher
	if password == "" || h == nil {
		return directory.Entry{}, false, nil
	}
	res, _, err := s.load(ctx)
	if err != nil {
		return directory.Entry{}, false, err
	}
	e, found := find(res.Entries, login)
	encoded := e.PasswordHash
	if !found || encoded == "" {
		if encoded, err = h.Dummy(ctx); err != nil {
			return directory.Entry{}, false, fmt.Errorf("csv: dummy hash: %w", err)
		}
	}
	match, _, err := h.Verify(ctx, password, encoded)
	if ctxErr := ctx.Err(); ctxErr != nil {
		return directory.Entry{}, false, ctxErr
	}
	if err != nil {
		// A stored hash that cannot be verified is the file's fault; the
		// caller sees the same answer as for a wrong password.
		s.opts.logger.Warn("csv: password hash cannot be verified", "source", s.cfg.Name, "err", err)
		return directory.Entry{}, false, nil
	}
	if !found || e.PasswordHash == "" || !match || !e.Enabled {
		return directory.Entry{}, false, nil
	}
	return e, true, nil
}

// Users streams every entry of the file.
func (s *Source) Users(ctx context.Context) iter.Seq2[directory.Entry, error] {
	return func(yield func(directory.Entry, error) bool) {
		res, _, err := s.load(ctx)
		if err != nil {
			yield(directory.Entry{}, err)
			return
		}
		for _, e := range res.Entries {
			if err := ctx.Err(); err != nil {
				yield(directory.Entry{}, err)
				return
			}
			if !yield(cloneEntry(e), nil) {
				return
			}
		}
	}
}

// Changes yields every entry of the file when its content differs from the
// one cursor was taken from (always, for an empty cursor), and nothing
// otherwise (see [directory.ChangeSource]). The cursor is "sha256:" and the
// hex SHA-256 of the content. The entries carry the cursor they were asked
// for; the last element carries the content's.
func (s *Source) Changes(ctx context.Context, cursor string) iter.Seq2[directory.Change, error] {
	return func(yield func(directory.Change, error) bool) {
		res, digest, err := s.load(ctx)
		if err != nil {
			yield(directory.Change{}, err)
			return
		}
		if digest != cursor {
			for _, e := range res.Entries {
				if err := ctx.Err(); err != nil {
					yield(directory.Change{}, err)
					return
				}
				c := cloneEntry(e)
				if !yield(directory.Change{Entry: &c, Cursor: cursor}, nil) {
					return
				}
			}
		}
		yield(directory.Change{Cursor: digest}, nil)
	}
}

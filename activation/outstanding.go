package activation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/usher-sdk/usher/userstore"
)

// Stage says what an outstanding activation waits for.
type Stage string

// Stages of an OutstandingCode.
const (
	// StageCode: the code has not been used (or was used, but the
	// password was not set in time, so that it is good again); the person
	// has still to activate.
	StageCode Stage = "code"
	// StagePasswordSet: the code was used and the window to set the
	// password is open.
	StagePasswordSet Stage = "password-set"
)

// OutstandingCode is one user's activation that is not complete: a code
// that is neither used nor expired, or an open password-set window. It
// never holds the code or a token, which the store does not have.
type OutstandingCode struct {
	UserID   string
	Username string
	Stage    Stage
	// CreatedAt and ExpiresAt are when the code was created and when it
	// expires.
	CreatedAt time.Time
	ExpiresAt time.Time
	// ActivatedAt is when the code was used, and PasswordSetUntil when the
	// window to set the password closes (or closed: a code whose window
	// closed is StageCode again). Both are zero for a code not used yet.
	ActivatedAt      time.Time
	PasswordSetUntil time.Time
}

// Page sizes of Manager.Outstanding.
const (
	// DefaultOutstandingPage is the page size when the limit is 0 or less.
	DefaultOutstandingPage = 100
	// MaxOutstandingPage is the largest limit Outstanding accepts.
	MaxOutstandingPage = 1000
)

// Cursor is a position in the listing of Manager.Outstanding. The zero
// Cursor is its start. Cursor.String and ParseCursor carry it through a
// URL; it names a position, not a code, and no code can be learnt from it.
type Cursor struct {
	at    time.Time // the token's CreatedAt
	stage int       // cursorCode or cursorWindow
	hash  string    // the token's Hash
}

// Token streams of a Cursor, in the order entries of equal time sort.
const (
	cursorCode   = 0
	cursorWindow = 1
)

// IsZero reports whether c is the start of the listing. Outstanding
// returns the zero Cursor when the listing is complete.
func (c Cursor) IsZero() bool { return c == Cursor{} }

// String encodes c for a URL; the zero Cursor is "".
func (c Cursor) String() string {
	if c.IsZero() {
		return ""
	}
	return strconv.FormatInt(c.at.UnixNano(), 10) + "." + strconv.Itoa(c.stage) + "." + c.hash
}

// maxCursorHash is the longest hash a Cursor carries (the store's hashes
// are 64 hex digits).
const maxCursorHash = 128

// ParseCursor decodes a Cursor from Cursor.String; "" is the zero
// Cursor. Anything else is an error matching ErrInvalidInput.
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	bad := func(why string) (Cursor, error) {
		return Cursor{}, fmt.Errorf("%w: cursor: %s", ErrInvalidInput, why)
	}
	if len(s) > 64+maxCursorHash {
		return bad("too long")
	}
	ns, rest, ok := strings.Cut(s, ".")
	if !ok {
		return bad("malformed")
	}
	stage, hash, ok := strings.Cut(rest, ".")
	if !ok {
		return bad("malformed")
	}
	n, err := strconv.ParseInt(ns, 10, 64)
	if err != nil || n == 0 || strconv.FormatInt(n, 10) != ns {
		return bad("bad time")
	}
	if stage != "0" && stage != "1" {
		return bad("bad stage")
	}
	if hash == "" || len(hash) > maxCursorHash || strings.Trim(hash, "0123456789abcdef") != "" {
		return bad("bad hash")
	}
	return Cursor{at: time.Unix(0, n).UTC(), stage: int(stage[0] - '0'), hash: hash}, nil
}

// after returns the store cursor of the token stream stage that resumes
// the merged listing after c: the merged order is the token's CreatedAt,
// then the stream (codes first), then the hash.
func (c Cursor) after(stage int) userstore.TokenCursor {
	switch {
	case c.IsZero():
		return userstore.TokenCursor{}
	case stage == c.stage:
		return userstore.TokenCursor{CreatedAt: c.at, Hash: c.hash}
	case stage > c.stage:
		// Every token of the later stream at c.at or after (hashes are
		// never empty).
		return userstore.TokenCursor{CreatedAt: c.at}
	default:
		// Only tokens of the earlier stream after c.at.
		return userstore.TokenCursor{CreatedAt: c.at.Add(time.Nanosecond)}
	}
}

// outstandingScanPages bounds the work of one Outstanding call: it reads
// at most this many pages of tokens of each kind. Past it, a page may be
// short but the returned Cursor goes on.
const outstandingScanPages = 4

// Outstanding lists the activations that are not complete at the
// Manager's clock, for an administrator: codes not yet used and not
// expired, and open password-set windows (with StagePasswordSet); a code
// whose password-set window closed before the password was set is good
// again and listed as StageCode. Users' names are looked up; nothing
// secret is returned.
//
// The list is every user's, oldest first by the stored step: the code's
// creation, or its use (ActivatedAt) once used. It comes in pages of up to
// limit entries (0 or less means DefaultOutstandingPage; more than
// MaxOutstandingPage is ErrInvalidInput), after the Cursor after (the
// zero Cursor starts at the oldest). Pass the returned Cursor to get the
// next page; it is the zero Cursor when the listing is complete. A page
// may hold fewer than limit entries before the end, when codes expire or
// are used in between or Outstanding skips many expired windows, so a
// caller pages until the Cursor is zero. Paging never repeats or skips an
// entry that stays outstanding meanwhile.
//
// It works whether or not activation is enabled (Settings.Enabled), so
// that an administrator can see what is stored.
func (m *Manager) Outstanding(ctx context.Context, after Cursor, limit int) ([]OutstandingCode, Cursor, error) {
	switch {
	case limit > MaxOutstandingPage:
		return nil, Cursor{}, fmt.Errorf("%w: limit %d is over %d", ErrInvalidInput, limit, MaxOutstandingPage)
	case limit <= 0:
		limit = DefaultOutstandingPage
	}
	now := m.now()
	streams := [2]tokenStream{
		cursorCode:   {kind: kindCode, unexpiredAt: now},
		cursorWindow: {kind: kindPassword}, // a closed window may hold a good code
	}
	pos := after
	var out []OutstandingCode
	for pages := 1; ; pages++ {
		for i := range streams {
			if err := streams[i].fill(ctx, m.store, pos.after(i), limit); err != nil {
				return nil, Cursor{}, fmt.Errorf("activation: outstanding: %w", err)
			}
		}
		// Take tokens in merged order while both streams have a known
		// next token or are at their end.
		for len(out) < limit {
			i, ok := nextStream(&streams)
			if !ok {
				break
			}
			t := streams[i].take()
			pos = Cursor{at: t.CreatedAt, stage: i, hash: t.Hash}
			e, ok, err := m.outstanding(ctx, i, t, now)
			if err != nil {
				return nil, Cursor{}, fmt.Errorf("activation: outstanding: %w", err)
			}
			if ok {
				out = append(out, e)
			}
		}
		if streams[cursorCode].done() && streams[cursorWindow].done() {
			return out, Cursor{}, nil
		}
		if len(out) >= limit || pages >= outstandingScanPages {
			return out, pos, nil
		}
	}
}

// tokenStream is one kind's tokens in ListTokens order, a page at a time.
type tokenStream struct {
	kind        string
	unexpiredAt time.Time
	page        []userstore.Token
	last        bool // page is the kind's last
}

// fill reads the next page when the current one is used up.
func (s *tokenStream) fill(ctx context.Context, store Store, after userstore.TokenCursor, limit int) error {
	if len(s.page) > 0 || s.last && s.page != nil {
		return nil
	}
	page, err := store.ListTokens(ctx, userstore.TokenQuery{Kind: s.kind, After: after, Limit: limit, UnexpiredAt: s.unexpiredAt})
	if err != nil {
		return err
	}
	s.page, s.last = page, len(page) < limit
	if s.page == nil {
		s.page = []userstore.Token{}
	}
	return nil
}

// done reports whether every token of the kind has been taken.
func (s *tokenStream) done() bool { return s.last && len(s.page) == 0 }

func (s *tokenStream) take() userstore.Token {
	t := s.page[0]
	s.page = s.page[1:]
	return t
}

// nextStream returns the stream whose next token comes first in the
// merged order, or false when one of them must read its next page first
// (or both are done).
func nextStream(s *[2]tokenStream) (int, bool) {
	var (
		best  = -1
		bestT userstore.Token
	)
	for i := range s {
		if len(s[i].page) == 0 {
			if !s[i].last {
				return 0, false // unknown: its next page may hold an earlier token
			}
			continue
		}
		t := s[i].page[0]
		if best < 0 || t.CreatedAt.Before(bestT.CreatedAt) {
			best, bestT = i, t
		}
		// Equal times: the earlier stream (codes) wins, and within a
		// stream the store's order holds.
	}
	return best, best >= 0
}

// outstanding makes the entry of one token of stream i, or false when the
// token is no longer outstanding (or its user is gone).
func (m *Manager) outstanding(ctx context.Context, i int, t userstore.Token, now time.Time) (OutstandingCode, bool, error) {
	e := OutstandingCode{UserID: t.UserID, Stage: StageCode}
	if i == cursorCode {
		if t.Expired(now) {
			return e, false, nil
		}
		e.CreatedAt, e.ExpiresAt = t.CreatedAt, t.ExpiresAt
	} else {
		var d passwordData
		if err := json.Unmarshal(t.Data, &d); err != nil {
			// One bad record must not hide the rest from the administrator.
			m.log.ErrorContext(ctx, "activation: outstanding: stored password-set data is corrupt; skipped", "user_id", t.UserID, "err", err)
			return e, false, nil
		}
		e.CreatedAt, e.ExpiresAt = d.Code.CreatedAt, d.Code.ExpiresAt
		e.ActivatedAt, e.PasswordSetUntil = t.CreatedAt, t.ExpiresAt
		switch {
		case !t.Expired(now):
			e.Stage = StagePasswordSet
		case d.Code.Expired(now):
			return e, false, nil
		}
	}
	u, err := m.store.GetUser(ctx, t.UserID)
	if errors.Is(err, userstore.ErrNotFound) {
		return e, false, nil // deleted meanwhile, with its tokens
	}
	if err != nil {
		return e, false, err
	}
	e.Username = u.Username
	return e, true, nil
}

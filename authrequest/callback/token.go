package callback

import (
	"container/list"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// DefaultTokenCacheSize is how many client-credentials tokens a Client
// keeps (256), dropping the least recently used.
const DefaultTokenCacheSize = 256

// expiryDelta: a token this close to its expiry is fetched anew (or at
// half its lifetime, for a token that lives less than twice as long).
const expiryDelta = 10 * time.Second

type tokenKey struct {
	url, clientID, scopes string
	secret                [sha256.Size]byte
}

func keyOf(a Auth) tokenKey {
	scopes := append([]string(nil), a.Scopes...)
	sort.Strings(scopes)
	return tokenKey{
		url: a.TokenURL, clientID: a.ClientID,
		scopes: strings.Join(scopes, " "),
		secret: sha256.Sum256([]byte(a.ClientSecret)),
	}
}

// tokenEntry is the token of one client at one endpoint. fetch, a
// semaphore of one, makes concurrent callers share one fetch.
type tokenEntry struct {
	key   tokenKey
	fetch chan struct{}
	mu    sync.Mutex
	tok   *oauth2.Token
	// refresh is when tok is fetched anew; zero for a token without an
	// expiry, kept until a receiver refuses it.
	refresh time.Time
}

// tokenCache is a bounded LRU cache of token entries, safe for concurrent
// use.
type tokenCache struct {
	mu  sync.Mutex
	max int
	lru *list.List // of *tokenEntry, most recent first
	m   map[tokenKey]*list.Element
}

func newTokenCache(max int) *tokenCache {
	return &tokenCache{max: max, lru: list.New(), m: map[tokenKey]*list.Element{}}
}

func (c *tokenCache) entry(k tokenKey) *tokenEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[k]; ok {
		c.lru.MoveToFront(el)
		return el.Value.(*tokenEntry)
	}
	e := &tokenEntry{key: k, fetch: make(chan struct{}, 1)}
	c.m[k] = c.lru.PushFront(e)
	for c.lru.Len() > c.max {
		old := c.lru.Back()
		c.lru.Remove(old)
		delete(c.m, old.Value.(*tokenEntry).key)
	}
	return e
}

func (c *tokenCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

func (e *tokenEntry) valid(now time.Time) *oauth2.Token {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.tok == nil || e.tok.AccessToken == "" {
		return nil
	}
	if !e.refresh.IsZero() && !now.Before(e.refresh) {
		return nil
	}
	return e.tok
}

// drop forgets tok, unless another caller has replaced it already.
func (e *tokenEntry) drop(tok *oauth2.Token) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.tok == tok {
		e.tok = nil
	}
}

// token returns a valid token for a, from the cache or fetched with ctx.
func (c *Client) token(ctx context.Context, a Auth) (*tokenEntry, *oauth2.Token, error) {
	e := c.tokens.entry(keyOf(a))
	if tok := e.valid(c.now()); tok != nil {
		return e, tok, nil
	}
	select {
	case e.fetch <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, &Error{Err: ctx.Err()}
	}
	defer func() { <-e.fetch }()
	if tok := e.valid(c.now()); tok != nil {
		return e, tok, nil
	}
	cfg := clientcredentials.Config{
		ClientID: a.ClientID, ClientSecret: a.ClientSecret,
		TokenURL: a.TokenURL, Scopes: a.Scopes,
	}
	tok, err := cfg.Token(context.WithValue(ctx, oauth2.HTTPClient, c.hc))
	if err != nil {
		return nil, nil, tokenError(err)
	}
	var refresh time.Time
	if !tok.Expiry.IsZero() {
		// x/oauth2 computes the expiry from expires_in with time.Now; the
		// Client's clock governs the cache instead.
		now, life := c.now(), time.Until(tok.Expiry)
		tok.Expiry = now.Add(life)
		refresh = now.Add(max(life-expiryDelta, life/2))
		if life <= 0 {
			refresh = now // use once, fetch again next time
		}
	}
	e.mu.Lock()
	e.tok, e.refresh = tok, refresh
	e.mu.Unlock()
	return e, tok, nil
}

// tokenError classifies a token endpoint's failure: a refusal of the
// client (400, 401, 403) or a redirect (not followed) is permanent,
// anything else temporary. The endpoint's answer is not repeated, as it
// may echo the secret; only an error code of [A-Za-z0-9_] is kept.
func tokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		switch code := re.Response.StatusCode; {
		case code == http.StatusBadRequest || code == http.StatusUnauthorized || code == http.StatusForbidden:
			msg := "token endpoint refused the client: " + http.StatusText(code)
			if ValidName(re.ErrorCode) {
				msg += " " + re.ErrorCode
			}
			return &Error{Err: errors.New(msg), permanent: true}
		case code >= 300 && code < 400:
			return &Error{Err: errors.New("token endpoint redirects (not followed)"), permanent: true}
		default:
			return &Error{Err: errors.New("token endpoint answered " + http.StatusText(code))}
		}
	}
	return &Error{Err: fmt.Errorf("token endpoint: %w", err)}
}

package hasher

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync/atomic"
)

// Registry holds hashers by name, hashes with a default one and verifies
// stored hashes of any registered format. It is immutable after NewRegistry
// (but for the cached Dummy hash and the queue of callers waiting for
// their turn) and safe for concurrent use. Its Hash, Verify and Dummy
// compute at most Config.MaxConcurrentHashes memory-hard hashes at once.
type Registry struct {
	def     Hasher
	byName  map[string]Hasher
	aliases map[string]string
	order   []Hasher // recognition order: caller's hashers first, then built-ins
	limit   *limiter // of memory-hard work; nil: unbounded

	dummy     atomic.Pointer[string] // set once Dummy has made it
	dummyLock chan struct{}          // of capacity 1, full while Dummy makes it
}

// genericNames maps generic names to the explicit name they stand for:
// the newest version of that family.
var genericNames = map[string]string{
	"aspnetcore": "aspnetcore-v3",
	"usher":      "usher-v1",
	"argon2id":   "usher-v1", // usher-v1 is argon2id; one hasher recognises "$argon2id$"
}

// options holds the dependencies that Options set.
type options struct {
	rand   io.Reader
	custom []Hasher
}

// Option sets a dependency of a Registry. Algorithm parameters are in
// Config.
type Option func(*options) error

// WithRandom sets the source of salts. Default crypto/rand.Reader. Tests use
// it for reproducible hashes; production code should not. The reader must
// be safe for concurrent use; a nil reader is refused.
func WithRandom(r io.Reader) Option {
	return func(o *options) error {
		if r == nil {
			return errors.New("hasher: WithRandom: nil reader")
		}
		o.rand = r
		return nil
	}
}

// WithHasher registers a caller's hasher, for example to verify hashes
// migrated from a system Usher does not know; it may be given more than
// once, for hashers of different names. Caller hashers are asked to
// recognise a stored hash before the built-in ones, and one whose name is
// a built-in name replaces the built-in hasher. A nil or unnamed hasher is
// refused. One that can only verify should implement VerifyOnlyHasher.
func WithHasher(h Hasher) Option {
	return func(o *options) error {
		if h == nil || h.Name() == "" {
			return errors.New("hasher: WithHasher: hasher must be non-nil and named")
		}
		o.custom = append(o.custom, h)
		return nil
	}
}

// NewRegistry returns a registry with every built-in hasher, made with
// the parameters of cfg (zero fields take their defaults), and the
// caller's hashers. Its default (used by Hash and as the target of
// rehashing) is defaultName, an explicit or generic name; the default must
// be able to produce hashes.
//
// NewRegistry reports every problem at once: each field of cfg out of
// range, by name, and each refused Option.
func NewRegistry(defaultName string, cfg Config, opts ...Option) (*Registry, error) {
	o := &options{rand: rand.Reader}
	var errs []error
	for _, opt := range opts {
		if opt == nil {
			errs = append(errs, errors.New("hasher: nil Option"))
			continue
		}
		if err := opt(o); err != nil {
			errs = append(errs, err)
		}
	}
	p, err := cfg.params()
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	r := &Registry{byName: map[string]Hasher{}, aliases: map[string]string{}, limit: newLimiter(p.MaxConcurrentHashes), dummyLock: make(chan struct{}, 1)}
	for k, v := range genericNames {
		r.aliases[k] = v
	}
	builtins := append(modernHashers(p, o.rand), legacyHashers(p, o.rand)...)
	customNames := map[string]bool{}
	for _, h := range o.custom {
		if customNames[h.Name()] {
			errs = append(errs, fmt.Errorf("hasher: hasher %q registered twice", h.Name()))
			continue
		}
		customNames[h.Name()] = true
		r.byName[h.Name()] = h
		r.order = append(r.order, h)
	}
	for _, h := range builtins {
		if customNames[h.Name()] {
			continue
		}
		if _, dup := r.byName[h.Name()]; dup {
			errs = append(errs, fmt.Errorf("hasher: built-in hasher %q registered twice", h.Name()))
			continue
		}
		r.byName[h.Name()] = h
		r.order = append(r.order, h)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	def, ok := r.Lookup(defaultName)
	if !ok {
		return nil, fmt.Errorf("%w: default %q (known: %v)", ErrUnknownName, defaultName, r.Names())
	}
	if vo, ok := def.(VerifyOnlyHasher); ok && vo.VerifyOnly() {
		return nil, fmt.Errorf("hasher: default %q is verify-only and cannot hash new passwords", def.Name())
	}
	r.def = def
	return r, nil
}

// Lookup returns the hasher registered under an explicit or generic name.
// Calling its methods directly bypasses Config.MaxConcurrentHashes, which
// bounds the Registry's Hash, Verify and Dummy.
func (r *Registry) Lookup(name string) (Hasher, bool) {
	if explicit, ok := r.aliases[name]; ok {
		name = explicit
	}
	h, ok := r.byName[name]
	return h, ok
}

// Default returns the hasher that Hash uses.
func (r *Registry) Default() Hasher { return r.def }

// Names returns the explicit names of all registered hashers, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.byName))
	for n := range r.byName {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Identify returns the hasher that recognises encoded, or an error wrapping
// ErrUnknownFormat.
func (r *Registry) Identify(encoded string) (Hasher, error) {
	for _, h := range r.order {
		if h.Recognize(encoded) {
			return h, nil
		}
	}
	return nil, ErrUnknownFormat
}

// Hash hashes password with the default hasher and a fresh salt. It
// returns ctx.Err() when ctx is done before hashing starts, waiting for
// its turn under Config.MaxConcurrentHashes included; the built-in hashers
// also check ctx before their expensive work.
func (r *Registry) Hash(ctx context.Context, password string) (string, error) {
	release, err := r.admit(ctx, r.def)
	if err != nil {
		return "", err
	}
	defer release()
	return r.def.Hash(ctx, password)
}

// Verify finds the hasher of encoded by its format and checks password
// against it in constant time. rehash is true when the password matches and
// encoded is not of the default algorithm or has weaker parameters than
// the default's; the caller should then store a new Hash of password.
// A wrong password is match == false with a nil error; err is for a hash
// that cannot be verified (matching ErrUnknownFormat, ErrMalformedHash or
// ErrLimitExceeded) and for ctx.Err() when ctx is done before verifying
// starts, waiting for its turn under Config.MaxConcurrentHashes included.
func (r *Registry) Verify(ctx context.Context, password, encoded string) (match, rehash bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, false, err
	}
	h, err := r.Identify(encoded)
	if err != nil {
		return false, false, err
	}
	release, err := r.admit(ctx, h)
	if err != nil {
		return false, false, err
	}
	defer release()
	match, weaker, err := h.Verify(ctx, password, encoded)
	if err != nil || !match {
		return false, false, err
	}
	return true, h != r.def || weaker, nil
}

// Dummy returns a hash of a random password made with the default hasher.
// Verifying against it when a user does not exist makes an unknown user
// take as long as a wrong password.
//
// The first successful call makes the hash with ctx, waiting its turn
// like Hash; later calls return it at once, whatever their ctx. Calls
// made while the first is making it wait for it, or return ctx.Err() when
// their ctx is done first. A failed call, ctx.Err() included, is not
// cached: the next call tries again. Safe for concurrent use.
func (r *Registry) Dummy(ctx context.Context) (string, error) {
	if d := r.dummy.Load(); d != nil {
		return *d, nil
	}
	select {
	case r.dummyLock <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-r.dummyLock }()
	if d := r.dummy.Load(); d != nil {
		return *d, nil
	}
	d, err := r.Hash(ctx, rand.Text())
	if err != nil {
		return "", err
	}
	r.dummy.Store(&d)
	return d, nil
}

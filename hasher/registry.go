package hasher

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
)

// Registry holds hashers by name, hashes with a default one and verifies
// stored hashes of any registered format. It is immutable after NewRegistry
// and safe for concurrent use.
type Registry struct {
	def     Hasher
	byName  map[string]Hasher
	aliases map[string]string
	order   []Hasher // recognition order: caller's hashers first, then built-ins

	dummyOnce sync.Once
	dummy     string
	dummyErr  error
}

// genericNames maps generic names to the explicit name they stand for:
// the newest version of that family.
var genericNames = map[string]string{
	"aspnetcore": "aspnetcore-v3",
	"usher":      "usher-v1",
	"argon2id":   "usher-v1", // usher-v1 is argon2id; one hasher recognises "$argon2id$"
}

// config is what Options set; NewRegistry builds the built-in hashers from it.
type config struct {
	limits Limits
	rand   io.Reader
	custom []Hasher
	modern modernConfig
	legacy legacyConfig
}

// Option configures a Registry.
type Option func(*config) error

// WithLimits caps the work a stored hash may demand. Zero fields keep their
// defaults (see DefaultLimits).
func WithLimits(l Limits) Option {
	return func(c *config) error {
		c.limits = l.withDefaults()
		return nil
	}
}

// WithRandom sets the source of salts. Default crypto/rand.Reader. Tests use
// it for reproducible hashes; production code should not.
func WithRandom(r io.Reader) Option {
	return func(c *config) error {
		if r == nil {
			return errors.New("hasher: WithRandom: nil reader")
		}
		c.rand = r
		return nil
	}
}

// WithHasher registers a caller's hasher, for example to verify hashes
// migrated from a system Usher does not know. Caller hashers are asked to
// recognise a stored hash before the built-in ones, and one whose name is
// a built-in name replaces the built-in hasher.
func WithHasher(h Hasher) Option {
	return func(c *config) error {
		if h == nil || h.Name() == "" {
			return errors.New("hasher: WithHasher: hasher must be non-nil and named")
		}
		c.custom = append(c.custom, h)
		return nil
	}
}

// NewRegistry returns a registry with every built-in hasher and the
// caller's, whose default (used by Hash and as the target of rehashing) is
// defaultName, an explicit or generic name. The default must be able to
// produce hashes.
func NewRegistry(defaultName string, opts ...Option) (*Registry, error) {
	c := &config{limits: DefaultLimits(), rand: rand.Reader}
	c.modern = defaultModernConfig()
	c.legacy = defaultLegacyConfig()
	var errs []error
	for _, o := range opts {
		if err := o(c); err != nil {
			errs = append(errs, err)
		}
	}
	if err := c.modern.validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	r := &Registry{byName: map[string]Hasher{}, aliases: map[string]string{}}
	for k, v := range genericNames {
		r.aliases[k] = v
	}
	builtins := append(modernHashers(c), legacyHashers(c)...)
	customNames := map[string]bool{}
	for _, h := range c.custom {
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
	if vo, ok := def.(interface{ VerifyOnly() bool }); ok && vo.VerifyOnly() {
		return nil, fmt.Errorf("hasher: default %q is verify-only and cannot hash new passwords", def.Name())
	}
	r.def = def
	return r, nil
}

// Lookup returns the hasher registered under an explicit or generic name.
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

// Hash hashes password with the default hasher.
func (r *Registry) Hash(password string) (string, error) {
	return r.HashContext(context.Background(), password)
}

// HashContext is Hash with a context; it returns ctx.Err() when ctx is
// done before hashing starts.
func (r *Registry) HashContext(ctx context.Context, password string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return r.def.Hash(ctx, password)
}

// Verify finds the hasher of encoded by its format and checks password
// against it in constant time. rehash is true when the password matches and
// encoded is not of the default algorithm or has weaker parameters than
// the default's; the caller should then store a new Hash of password.
// A wrong password is match == false with a nil error.
func (r *Registry) Verify(password, encoded string) (match, rehash bool, err error) {
	return r.VerifyContext(context.Background(), password, encoded)
}

// VerifyContext is Verify with a context; it returns ctx.Err() when ctx is
// done before verifying starts.
func (r *Registry) VerifyContext(ctx context.Context, password, encoded string) (match, rehash bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, false, err
	}
	h, err := r.Identify(encoded)
	if err != nil {
		return false, false, err
	}
	match, weaker, err := h.Verify(ctx, password, encoded)
	if err != nil || !match {
		return false, false, err
	}
	return true, h != r.def || weaker, nil
}

// Dummy returns a hash of a random password made once with the default
// hasher. Verifying against it when a user does not exist makes an unknown
// user take as long as a wrong password.
func (r *Registry) Dummy() (string, error) {
	r.dummyOnce.Do(func() {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			r.dummyErr = err
			return
		}
		r.dummy, r.dummyErr = r.def.Hash(context.Background(), fmt.Sprintf("%x", b))
	})
	return r.dummy, r.dummyErr
}

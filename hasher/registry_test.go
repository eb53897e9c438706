package hasher

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fastConfig has parameters that keep registry tests quick.
var fastConfig = Config{
	Argon2:     Argon2Params{MemoryKiB: 64, Time: 1},
	BcryptCost: 4,
	Scrypt:     ScryptParams{LogN: 4, R: 8},
}

func TestRegistryDefaultNames(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct{ name, want string }{
		{"usher", "usher-v1"},
		{"usher-v1", "usher-v1"},
		{"argon2id", "usher-v1"},
		{"aspnetcore", "aspnetcore-v3"},
		{"aspnetcore-v3", "aspnetcore-v3"},
		{"bcrypt", "bcrypt"},
		{"scrypt", "scrypt"},
		{"argon2i", "argon2i"},
		{"pbkdf2-sha256", "pbkdf2-sha256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg, err := NewRegistry(tt.name, fastConfig)
			require.NoError(t, err)
			assert.Equal(t, tt.want, reg.Default().Name())
			enc, err := reg.Hash(ctx, "correct horse")
			require.NoError(t, err)
			match, rehash, err := reg.Verify(ctx, "correct horse", enc)
			require.NoError(t, err)
			assert.True(t, match)
			assert.False(t, rehash)
		})
	}
}

func TestRegistryNames(t *testing.T) {
	t.Parallel()
	reg, err := NewRegistry("usher", Config{})
	require.NoError(t, err)
	names := reg.Names()
	for _, n := range append([]string{
		"usher-v1", "argon2i", "aspnetcore-v2", "aspnetcore-v3", "bcrypt", "scrypt",
		"pbkdf2-sha1", "pbkdf2-sha256", "pbkdf2-sha512",
	}, legacyNames...) {
		assert.Contains(t, names, n)
	}
	assert.IsNonDecreasing(t, names)
}

func TestRegistryUnknownName(t *testing.T) {
	t.Parallel()
	_, err := NewRegistry("md4", Config{})
	require.ErrorIs(t, err, ErrUnknownName)
	assert.ErrorContains(t, err, `"md4"`)
	assert.ErrorContains(t, err, "usher-v1", "lists the known names")
}

func TestRegistryVerifyOnlyDefault(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, name := range []string{"aspnetcore-v2", "md5-crypt", "django-argon2"} {
		_, err := NewRegistry(name, Config{})
		require.Error(t, err, name)
		assert.ErrorContains(t, err, "verify-only", name)
	}
	reg, err := NewRegistry("aspnetcore-v2", Config{InsecureAspNetCoreV2Hashing: true})
	require.NoError(t, err)
	assert.Equal(t, "aspnetcore-v2", reg.Default().Name())

	h, ok := reg.Lookup("aspnetcore-v2")
	require.True(t, ok)
	vo, ok := h.(VerifyOnlyHasher)
	require.True(t, ok)
	assert.False(t, vo.VerifyOnly())

	plain, err := NewRegistry("usher", Config{})
	require.NoError(t, err)
	v2, _ := plain.Lookup("aspnetcore-v2")
	assert.True(t, v2.(VerifyOnlyHasher).VerifyOnly())
	_, err = v2.Hash(ctx, "x")
	assert.ErrorIs(t, err, ErrVerifyOnly)

	// A caller's verify-only hasher cannot be the default either.
	_, err = NewRegistry("test-verify-only", Config{}, WithHasher(verifyOnlyHasher{prefixHasher{name: "test-verify-only", prefix: "{VO}"}}))
	assert.ErrorContains(t, err, `default "test-verify-only" is verify-only`)
}

func TestRegistryRehash(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg, err := NewRegistry("usher", fastConfig)
	require.NoError(t, err)
	own, err := reg.Hash(ctx, "pw")
	require.NoError(t, err)

	stronger, err := NewRegistry("usher", Config{Argon2: Argon2Params{MemoryKiB: 128, Time: 1}})
	require.NoError(t, err)
	longerSalt, err := NewRegistry("usher", Config{Argon2: Argon2Params{MemoryKiB: 64, Time: 1, SaltLen: 32}})
	require.NoError(t, err)

	tests := []struct {
		name     string
		reg      *Registry
		password string
		encoded  string
		rehash   bool
	}{
		{"own hash", reg, "pw", own, false},
		{"other algorithm: bcrypt", reg, "U*U", bcryptVectors[0].encoded, true},
		{"other algorithm: aspnetcore", reg, aspNetPassword, aspNetV3SHA512_100000_128_256, true},
		{"other algorithm: legacy", reg, "Hello world!", sha512CryptVectors[0].encoded, true},
		{"weaker memory", stronger, "pw", own, true},
		{"shorter salt", longerSalt, "pw", own, true},
		{"default's algorithm, more memory but an 8-byte salt", reg, "password", argon2idVectors[0].encoded, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			match, rehash, err := tt.reg.Verify(ctx, tt.password, tt.encoded)
			require.NoError(t, err)
			assert.True(t, match)
			assert.Equal(t, tt.rehash, rehash)
		})
	}
}

// prefixHasher is a caller's hasher for a made-up format "{TEST}<password>".
type prefixHasher struct {
	name, prefix string
}

func (h prefixHasher) Name() string { return h.name }
func (h prefixHasher) Recognize(encoded string) bool {
	return strings.HasPrefix(encoded, h.prefix)
}
func (h prefixHasher) Hash(_ context.Context, password string) (string, error) {
	return h.prefix + password, nil
}
func (h prefixHasher) Verify(_ context.Context, password, encoded string) (bool, bool, error) {
	return encoded == h.prefix+password, false, nil
}

// verifyOnlyHasher is a caller's hasher that cannot hash.
type verifyOnlyHasher struct{ prefixHasher }

func (verifyOnlyHasher) Hash(context.Context, string) (string, error) { return "", ErrVerifyOnly }
func (verifyOnlyHasher) VerifyOnly() bool                             { return true }

var _ VerifyOnlyHasher = verifyOnlyHasher{}

func TestRegistryCustomHasher(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	custom := prefixHasher{name: "test-plain", prefix: "{TEST}"}
	reg, err := NewRegistry("usher", fastConfig, WithHasher(custom))
	require.NoError(t, err)

	match, rehash, err := reg.Verify(ctx, "secret", "{TEST}secret")
	require.NoError(t, err)
	assert.True(t, match)
	assert.True(t, rehash, "custom format is not the default")

	// The custom hasher can be the default.
	reg, err = NewRegistry("test-plain", Config{}, WithHasher(custom))
	require.NoError(t, err)
	enc, err := reg.Hash(ctx, "secret")
	require.NoError(t, err)
	assert.Equal(t, "{TEST}secret", enc)

	// Same name as a built-in: it replaces the built-in, and it is asked
	// first, so it also claims the built-in's format.
	override := prefixHasher{name: "bcrypt", prefix: "$2"}
	reg, err = NewRegistry("usher", Config{}, WithHasher(override))
	require.NoError(t, err)
	h, ok := reg.Lookup("bcrypt")
	require.True(t, ok)
	assert.Equal(t, override, h)
	h, err = reg.Identify(bcryptVectors[0].encoded)
	require.NoError(t, err)
	assert.Equal(t, override, h)

	// Recognition order: a custom hasher claiming argon2id strings wins.
	first := prefixHasher{name: "my-argon", prefix: "$argon2id$"}
	reg, err = NewRegistry("usher", Config{}, WithHasher(first))
	require.NoError(t, err)
	h, err = reg.Identify(argon2idVectors[0].encoded)
	require.NoError(t, err)
	assert.Equal(t, "my-argon", h.Name())

	_, err = NewRegistry("usher", Config{}, WithHasher(custom), WithHasher(custom))
	assert.ErrorContains(t, err, "registered twice")
}

func TestRegistryLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg, err := NewRegistry("usher", Config{Limits: Limits{
		MaxIterations: 1000, MaxMemoryKiB: 1024, MaxBcryptCost: 6, MaxParallelism: 2, MaxTime: 3,
	}})
	require.NoError(t, err)
	for _, enc := range []string{
		aspNetV3SHA512_100000_128_256, // 100,000 iterations
		argon2idVectors[0].encoded,    // 64 MiB
		"$argon2i$v=19$m=256,t=4,p=1$c29tZXNhbHQ$iekCn0Y3spW+sCcFanM2xBT63UP2sghkUoHLIUpWRS8", // t=4
		"$2b$31$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",                        // 2^31 rounds
		"$scrypt$ln=40,r=8,p=1$TmFDbA$/bq+HJ00cgB4VucZDQHp/nxq18vII3gw53N2Y0s3MWI",            // 128 TiB
		"$pbkdf2-sha256$4294967295$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ",
		"$6$rounds=999999999$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
		"pbkdf2_sha256$2000000000$seasalt$Ybw8zsFxqja97tY/o6G+Fy1ksY4U/Hw3DRrGED6Up4s=",
	} {
		match, rehash, err := reg.Verify(ctx, "password", enc)
		require.ErrorIs(t, err, ErrLimitExceeded, enc)
		assert.ErrorContains(t, err, "limit")
		assert.False(t, match)
		assert.False(t, rehash)
	}

	// Hash refuses configured parameters above the limits.
	reg, err = NewRegistry("pbkdf2-sha256", Config{Limits: Limits{MaxIterations: 1000}})
	require.NoError(t, err)
	_, err = reg.Hash(ctx, "pw")
	assert.ErrorIs(t, err, ErrLimitExceeded)
	reg, err = NewRegistry("usher", Config{Limits: Limits{MaxMemoryKiB: 1024}})
	require.NoError(t, err)
	_, err = reg.Hash(ctx, "pw")
	assert.ErrorIs(t, err, ErrLimitExceeded)
}

func TestRegistryUnknownAndMalformed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg, err := NewRegistry("usher", Config{})
	require.NoError(t, err)
	for _, enc := range []string{"", "not a hash", "$argon2d$v=19$m=256,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "{SHA256}K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=", "$7$C6..../....SodiumChloride$kBGj9fHznVYFQMEn/qDCfrDevf9YDtcDdKvEqHJLV8D"} {
		match, rehash, err := reg.Verify(ctx, "password", enc)
		require.ErrorIs(t, err, ErrUnknownFormat, enc)
		assert.False(t, match)
		assert.False(t, rehash)
	}

	match, _, err := reg.Verify(ctx, "password", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$not*base64")
	require.ErrorIs(t, err, ErrMalformedHash)
	assert.False(t, match)
	assert.Equal(t, `hasher: malformed hash: usher-v1: hash is not valid base64: illegal base64 data at input byte 3`, err.Error())
	assert.False(t, errors.Is(err, ErrUnknownFormat))
}

func TestRegistryContextCanceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	reg, err := NewRegistry("usher", fastConfig)
	require.NoError(t, err)
	_, err = reg.Hash(ctx, "pw")
	assert.ErrorIs(t, err, context.Canceled)
	_, _, err = reg.Verify(ctx, "password", argon2idVectors[0].encoded)
	assert.ErrorIs(t, err, context.Canceled)
	_, err = reg.Dummy(ctx)
	assert.ErrorIs(t, err, context.Canceled)

	// Each modern hasher checks ctx itself, too.
	samples := map[string]string{
		"usher-v1":      argon2idVectors[0].encoded,
		"argon2i":       argon2iVectors[0].encoded,
		"bcrypt":        bcryptVectors[0].encoded,
		"scrypt":        scryptVectors[0].encoded,
		"pbkdf2-sha1":   pbkdf2SHA1Vectors[0].encoded,
		"pbkdf2-sha256": pbkdf2SHA256Vectors[0].encoded,
		"pbkdf2-sha512": pbkdf2SHA512Vectors[0].encoded,
		"aspnetcore-v3": aspNetV3SHA512_50_128_128,
		"aspnetcore-v2": aspNetV2SHA1_1000,
	}
	for name, enc := range samples {
		h := modernTestHasher(t, name)
		_, _, err := h.Verify(ctx, "password", enc)
		assert.ErrorIs(t, err, context.Canceled, name)
		_, err = h.Hash(ctx, "password")
		assert.ErrorIs(t, err, context.Canceled, name)
	}
}

func TestRegistryRecognizeIsExclusive(t *testing.T) {
	t.Parallel()
	reg, err := NewRegistry("usher", Config{Firebase: legacyFirebase()})
	require.NoError(t, err)
	samples := map[string]string{
		"usher-v1":      argon2idVectors[0].encoded,
		"argon2i":       argon2iVectors[0].encoded,
		"bcrypt":        bcryptVectors[0].encoded,
		"scrypt":        scryptVectors[0].encoded,
		"pbkdf2-sha1":   pbkdf2SHA1Vectors[0].encoded,
		"pbkdf2-sha256": pbkdf2SHA256Vectors[0].encoded,
		"pbkdf2-sha512": pbkdf2SHA512Vectors[0].encoded,
		"aspnetcore-v3": aspNetV3SHA512_250_256_512,
		"aspnetcore-v2": aspNetV2SHA1_1000,
	}
	for k, v := range legacySamples {
		samples[k] = v
	}
	for want, enc := range samples {
		var claimed []string
		for _, name := range reg.Names() {
			h, _ := reg.Lookup(name)
			if h.Recognize(enc) {
				claimed = append(claimed, name)
			}
		}
		assert.Equal(t, []string{want}, claimed, enc)
	}
}

func TestRegistryDummy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg, err := NewRegistry("usher", fastConfig)
	require.NoError(t, err)

	// A failure is not cached.
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = reg.Dummy(canceled)
	require.ErrorIs(t, err, context.Canceled)

	d1, err := reg.Dummy(ctx)
	require.NoError(t, err)
	h, err := reg.Identify(d1)
	require.NoError(t, err)
	assert.Equal(t, "usher-v1", h.Name(), "made with the default hasher")

	// Later calls return the cached hash, whatever their ctx.
	d2, err := reg.Dummy(canceled)
	require.NoError(t, err)
	assert.Equal(t, d1, d2)
	match, _, err := reg.Verify(ctx, "anything", d1)
	require.NoError(t, err)
	assert.False(t, match)
}

func TestRegistryDummyConcurrent(t *testing.T) {
	t.Parallel()
	reg, err := NewRegistry("usher", fastConfig)
	require.NoError(t, err)
	got := make([]string, 8)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() {
			d, err := reg.Dummy(context.Background())
			assert.NoError(t, err)
			got[i] = d
		})
	}
	wg.Wait()
	for _, d := range got {
		assert.Equal(t, got[0], d, "one dummy hash for every caller")
	}
}

func TestPBKDF2Key(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// RFC 6070 test vector 2 (PBKDF2-HMAC-SHA1, 2 iterations).
	key, err := pbkdf2Key(ctx, PRFSHA1, "password", []byte("salt"), 2, 20)
	require.NoError(t, err)
	assert.Equal(t, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957", hexString(key))
	_, err = pbkdf2Key(ctx, PRFSHA1, "password", []byte("salt"), 0, 20)
	assert.ErrorContains(t, err, "hasher: pbkdf2: iterations 0")
	_, err = pbkdf2Key(ctx, PRFDefault, "password", []byte("salt"), 1, 20)
	assert.ErrorContains(t, err, "hasher: unknown PBKDF2 PRF default")
	assert.Equal(t, "sha512", PRFSHA512.String())
	assert.Equal(t, "PRF(9)", PRF(9).String())
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

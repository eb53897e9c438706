package hasher

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// upassTable is passlib's UPASS_TABLE test password, used by its vectors
// to check that passwords are hashed as UTF-8.
const upassTable = "t\u00e1\u0411\u2113\u0259"

// legacyVector is a password and a stored hash made from it.
type legacyVector struct {
	password, encoded string
}

// legacyTestHasher builds a registry with cfg and opts (and fast SHA-crypt
// and Django parameters unless cfg.Legacy is set) and returns its legacy
// hasher called name.
func legacyTestHasher(t testing.TB, name string, cfg Config, opts ...Option) Hasher {
	t.Helper()
	if cfg.Legacy == (LegacyParams{}) {
		cfg.Legacy = LegacyParams{SHACryptRounds: 1000, DjangoPBKDF2Iterations: 1000}
	}
	reg, err := NewRegistry("usher", cfg, opts...)
	require.NoError(t, err)
	h, ok := reg.Lookup(name)
	require.True(t, ok, "no legacy hasher %q", name)
	return h
}

// legacyHashersWithFirebase returns every legacy hasher, with default
// parameters and legacyFirebase.
func legacyHashersWithFirebase(t testing.TB) []Hasher {
	t.Helper()
	p, err := Config{Firebase: legacyFirebase()}.params()
	require.NoError(t, err)
	return legacyHashers(p, rand.Reader)
}

// checkLegacyVectors verifies each vector with h, the password with an
// extra character appended, and a change to the stored hash.
func checkLegacyVectors(t *testing.T, h Hasher, vectors []legacyVector) {
	t.Helper()
	ctx := context.Background()
	for _, v := range vectors {
		t.Run(v.encoded, func(t *testing.T) {
			t.Parallel()
			require.True(t, h.Recognize(v.encoded))
			match, _, err := h.Verify(ctx, v.password, v.encoded)
			require.NoError(t, err)
			assert.True(t, match, "correct password")

			match, weaker, err := h.Verify(ctx, v.password+"x", v.encoded)
			require.NoError(t, err)
			assert.False(t, match, "wrong password")
			assert.False(t, weaker, "weaker without a match")
		})
	}
}

// checkLegacyErrors verifies each encoded string with h and expects an
// error matching want.
func checkLegacyErrors(t *testing.T, h Hasher, want error, encoded ...string) {
	t.Helper()
	for _, e := range encoded {
		t.Run(e, func(t *testing.T) {
			t.Parallel()
			match, weaker, err := h.Verify(context.Background(), "password", e)
			require.ErrorIs(t, err, want)
			assert.False(t, match)
			assert.False(t, weaker)
			assert.True(t, strings.HasPrefix(err.Error(), "hasher: "), "package prefix: %v", err)
		})
	}
}

// checkLegacyRoundTrip hashes with h, verifies, and checks the salt
// differs between two hashes.
func checkLegacyRoundTrip(t *testing.T, h Hasher, prefix string) {
	t.Helper()
	ctx := context.Background()
	for _, pw := range []string{"", "correct horse battery staple", upassTable} {
		enc, err := h.Hash(ctx, pw)
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(enc, prefix), enc)
		assert.True(t, h.Recognize(enc))
		match, weaker, err := h.Verify(ctx, pw, enc)
		require.NoError(t, err)
		assert.True(t, match)
		assert.False(t, weaker)
		match, _, err = h.Verify(ctx, pw+"!", enc)
		require.NoError(t, err)
		assert.False(t, match)
		other, err := h.Hash(ctx, pw)
		require.NoError(t, err)
		assert.NotEqual(t, enc, other, "salts must differ")
	}
}

// legacyNames are the explicit names of the legacy hashers that are
// always registered.
var legacyNames = []string{
	"md5-crypt", "sha256-crypt", "sha512-crypt",
	"kratos-md5-crypt", "kratos-sha256-crypt", "kratos-sha512-crypt",
	"ldap-md5", "ldap-smd5", "ldap-sha", "ldap-ssha", "ldap-ssha256", "ldap-ssha512", "ldap-crypt",
	"django-pbkdf2-sha256", "django-pbkdf2-sha1", "django-argon2", "django-bcrypt-sha256",
}

// legacyProducing are the names of legacy hashers that can hash.
var legacyProducing = map[string]bool{
	"sha256-crypt": true, "sha512-crypt": true, "ldap-ssha256": true, "ldap-ssha512": true,
	"ldap-crypt": true, "django-pbkdf2-sha256": true,
}

// One sample of each legacy format, for recognition tests.
var legacySamples = map[string]string{
	"md5-crypt":            "$1$dXc3I7Rw$ctlgjDdWJLMT.qwHsWhXR1",
	"sha256-crypt":         "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5",
	"sha512-crypt":         "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
	"kratos-md5-crypt":     "$md5-crypt$TVEiiKNb$SN6/pUaRQS/E8Jh46As2C/",
	"kratos-sha256-crypt":  "$sha256-crypt$rounds=535000$05R.9KB6UC2kLI3w$Q/zslzx./JjkAVPTwp6th7nW5l7JU91Gte/UmIh.U78",
	"kratos-sha512-crypt":  "$sha512-crypt$rounds=656000$3LVbIAVxR//cRajw$uuNasMW.RYxlGzIRFU1Was70BPSa933AjxhZIGJdJBOlqJAHlgqa0yuiuq5JHF/ryNGryJkj87G9i3G2HPSXg1",
	"ldap-md5":             "{MD5}/F4DjTilcDIIVEHn/nAQsA==",
	"ldap-smd5":            "{SMD5}UjFY34os/pnZQ3oQOzjqGu4yeXE=",
	"ldap-sha":             "{SHA}at+xg6SiyUovktq1redipHiJpaE=",
	"ldap-ssha":            "{SSHA}0c0blFTXXNuAMHECS4uxrj3ZieMoWImr",
	"ldap-ssha256":         "{SSHA256}Yuz0lZnd9xxLQhxgOSuV8b4GlTzeOWKriq9ay51aoLxmb29iYXI=",
	"ldap-ssha512":         "{SSHA512}f/lFQskkl7PdMsTGJxHZq8LDt/l+UqRMm6/pj4pV7/xZkcOaKCgvQqp+KCeXc/Vd4RY6vEHWn4y0DnFcQ6wgyv9fyxk=",
	"ldap-crypt":           "{CRYPT}$1$dOHYPKoP$tnxS1T8Q6VVn3kpV8cN6o.",
	"django-pbkdf2-sha256": "pbkdf2_sha256$10000$kjVJaVz6qsnJ$5yPHw3rwJGECpUf70daLGhOrQ5+AMxIJdz1c3bqK1Rs=",
	"django-pbkdf2-sha1":   "pbkdf2_sha1$10000$wz5B6WkasRoF$atJmJ1o+XfJxKq1+Nu1f1i57Z5I=",
	"django-argon2":        "argon2$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q",
	"django-bcrypt-sha256": "bcrypt_sha256$$2a$06$/3OeRpbOf8/l6nPPRdZPp.nRiyYqPobEZGdNRBWihQhiFDh1ws1tu",
	"firebase-scrypt":      "$firebase-scrypt$42xEC+ixf3L2lw==$lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==",
}

// Hashes of the modern formats, which no legacy hasher may claim.
var legacyForeignSamples = []string{
	"$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
	"$2b$12$EXRkfkdmXnagzds2SSitu.MW9.gAVqa9eLS1//RYtYCmB1eLHg.9q",
	"$2y$10$k87L/MF28Q673VKh8/cPi.SUl7MU/rWuSiIDDFayrKk/1tBsSQu4u",
	"$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
	"$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA",
	"$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E",
	"$pbkdf2-sha256$29000$N2bMGSMk5LyXEkKodQ4BIA$rNEdhh3CBDbhDkDUyrBtsbVEp7GvGtwkYUBzW9bC7n4",
	"AQAAAAEAACcQAAAAEKRI9eTlZy0Y/SBeyhCY+4i8wPoVtuQXUKDvHf2mX/UXZI5aGw7KtSXOpyqKlGJQ0A==",
	"AJm9V4l8k7rHeDgpUVSbjg/F5jSXCGMEd7J99nTmOUPzMzVvTTnL6Al4f1zAngH7Mw==",
	"",
	"AQAAAAIAAYag", // a truncated aspnetcore-v3 hash
	"sha1$123abcdef$e4a1877b0e35c47329e7ed7e58014276168a37ba",
	"bcrypt$$2a$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s.",
}

// legacyFirebase returns the parameters of the example project of
// firebase/scrypt's README.
func legacyFirebase() *FirebaseScryptParams {
	return &FirebaseScryptParams{
		SignerKey:     "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==",
		SaltSeparator: "Bw==",
		Rounds:        8,
		MemCost:       14,
	}
}

func TestLegacyRecognizeIsExclusive(t *testing.T) {
	t.Parallel()
	hashers := legacyHashersWithFirebase(t)
	require.Len(t, hashers, len(legacyNames)+1)

	for name, sample := range legacySamples {
		var claimed []string
		for _, h := range hashers {
			if h.Recognize(sample) {
				claimed = append(claimed, h.Name())
			}
		}
		assert.Equal(t, []string{name}, claimed, "sample of %s", name)
	}
	for _, sample := range legacyForeignSamples {
		for _, h := range hashers {
			assert.False(t, h.Recognize(sample), "%s claims %q", h.Name(), sample)
		}
	}
}

func TestLegacyHashersVerifyOnly(t *testing.T) {
	t.Parallel()
	for _, h := range legacyHashersWithFirebase(t) {
		vo, isVO := h.(VerifyOnlyHasher)
		verifyOnly := isVO && vo.VerifyOnly()
		assert.Equal(t, !legacyProducing[h.Name()], verifyOnly, h.Name())
		if verifyOnly {
			_, err := h.Hash(context.Background(), "password")
			assert.ErrorIs(t, err, ErrVerifyOnly, h.Name())
		}
	}
}

func TestLegacyFirebaseRegisteredOnlyWhenConfigured(t *testing.T) {
	t.Parallel()
	reg, err := NewRegistry("sha512-crypt", Config{})
	require.NoError(t, err)
	_, ok := reg.Lookup("firebase-scrypt")
	assert.False(t, ok)
	for _, n := range legacyNames {
		_, ok := reg.Lookup(n)
		assert.True(t, ok, n)
	}

	reg, err = NewRegistry("sha512-crypt", Config{Firebase: legacyFirebase()})
	require.NoError(t, err)
	_, ok = reg.Lookup("firebase-scrypt")
	assert.True(t, ok)
}

func TestLegacyRegistry(t *testing.T) {
	t.Parallel()
	reg, err := NewRegistry("sha512-crypt", Config{
		Legacy:   LegacyParams{SHACryptRounds: 2000, DjangoPBKDF2Iterations: 1000},
		Firebase: legacyFirebase(),
	})
	require.NoError(t, err)

	tests := []struct {
		name, password, encoded string
		rehash                  bool
	}{
		{"default, same rounds", "", "", false}, // filled below from reg.Hash
		{"default, fewer rounds", "Hello world!", "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1", false},
		{"md5-crypt", "U*U*U*U*", "$1$dXc3I7Rw$ctlgjDdWJLMT.qwHsWhXR1", true},
		{"sha256-crypt", "Hello world!", "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5", true},
		{"ldap-ssha", "secret", "{SSHA}0H+zTv8o4MR4H43n03eCsvw1luG8LdB7", true},
		{"ldap-crypt", "test", "{CRYPT}$1$ec6XvcoW$ghEtNK2U1MC5l.Dwgi3020", true},
		{"kratos-md5-crypt", "ory", "$md5-crypt$xWMlm2eL$GGTOpgZu4p2k6ORprAu3b.", true},
		{"ldap-md5", "helloworld", "{MD5}/F4DjTilcDIIVEHn/nAQsA==", true},
		{"ldap-smd5", "testing1234", "{SMD5}UjFY34os/pnZQ3oQOzjqGu4yeXE=", true},
		{"django", "not a password", "pbkdf2_sha256$10000$kjVJaVz6qsnJ$5yPHw3rwJGECpUf70daLGhOrQ5+AMxIJdz1c3bqK1Rs=", true},
		{"firebase", "user1password", legacySamples["firebase-scrypt"], true},
	}
	ctx := context.Background()
	enc, err := reg.Hash(ctx, "fresh password")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(enc, "$6$rounds=2000$"), enc)
	tests[0].password, tests[0].encoded = "fresh password", enc
	// 5000 implicit rounds are more than the configured 2000.
	tests[1].rehash = false

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			match, rehash, err := reg.Verify(ctx, tt.password, tt.encoded)
			require.NoError(t, err)
			assert.True(t, match)
			assert.Equal(t, tt.rehash, rehash)

			match, rehash, err = reg.Verify(ctx, tt.password+"x", tt.encoded)
			require.NoError(t, err)
			assert.False(t, match)
			assert.False(t, rehash)
		})
	}

	t.Run("weaker default", func(t *testing.T) {
		t.Parallel()
		strong, err := NewRegistry("sha512-crypt", Config{Legacy: LegacyParams{SHACryptRounds: 6000}})
		require.NoError(t, err)
		match, rehash, err := strong.Verify(ctx, "Hello world!", tests[1].encoded)
		require.NoError(t, err)
		assert.True(t, match)
		assert.True(t, rehash, "5000 rounds < 6000")
	})

	t.Run("unknown DES crypt", func(t *testing.T) {
		t.Parallel()
		_, _, err := reg.Verify(ctx, "sekrit", "{CRYPT}nFia0rj2TT59A")
		assert.ErrorIs(t, err, ErrUnknownFormat)
	})
}

func TestLegacyRegistryDefaults(t *testing.T) {
	t.Parallel()
	for _, name := range legacyNames {
		_, err := NewRegistry(name, Config{})
		if legacyProducing[name] {
			assert.NoError(t, err, name)
		} else {
			assert.Error(t, err, "%s is verify-only and cannot be the default", name)
		}
	}
}

func TestLegacyParamsValidation(t *testing.T) {
	t.Parallel()
	_, err := NewRegistry("sha512-crypt", Config{Legacy: LegacyParams{SHACryptRounds: 999, DjangoPBKDF2Iterations: -1}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "SHACryptRounds 999")
	assert.Contains(t, err.Error(), "DjangoPBKDF2Iterations -1")

	_, err = NewRegistry("sha512-crypt", Config{Legacy: LegacyParams{SHACryptRounds: 1_000_000_000}})
	assert.Error(t, err)

	reg, err := NewRegistry("sha512-crypt", Config{})
	require.NoError(t, err)
	h, ok := reg.Lookup("sha512-crypt")
	require.True(t, ok)
	assert.Equal(t, defaultSHACryptRounds, h.(*shaCryptHasher).rounds)
}

func TestLegacyParamsAboveLimits(t *testing.T) {
	t.Parallel()
	reg, err := NewRegistry("sha512-crypt", Config{
		Legacy: LegacyParams{SHACryptRounds: 20_000, DjangoPBKDF2Iterations: 20_000},
		Limits: Limits{MaxIterations: 10_000},
	})
	require.NoError(t, err)
	for _, name := range []string{"sha512-crypt", "sha256-crypt", "ldap-crypt", "django-pbkdf2-sha256"} {
		h, ok := reg.Lookup(name)
		require.True(t, ok)
		_, err := h.Hash(context.Background(), "password")
		assert.ErrorIs(t, err, ErrLimitExceeded, name)
	}
}

func TestLegacyContextCanceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cfg := Config{Firebase: legacyFirebase()}
	for name, sample := range legacySamples {
		h := legacyTestHasher(t, name, cfg)
		_, _, err := h.Verify(ctx, "password", sample)
		assert.ErrorIs(t, err, context.Canceled, name)
		if legacyProducing[name] {
			_, err := h.Hash(ctx, "password")
			assert.ErrorIs(t, err, context.Canceled, name)
		}
	}
}

// legacyErrReader fails every read.
type legacyErrReader struct{}

func (legacyErrReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

func TestLegacyRandomFailure(t *testing.T) {
	t.Parallel()
	for name := range legacyProducing {
		h := legacyTestHasher(t, name, Config{}, WithRandom(legacyErrReader{}))
		_, err := h.Hash(context.Background(), "password")
		assert.ErrorContains(t, err, "no entropy", name)
	}
}

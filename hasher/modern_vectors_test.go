package hasher

import (
	"context"
	"encoding/base64"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Vectors of the modern formats, from the systems that wrote them.

// ASP.NET Core Identity: github.com/dotnet/aspnetcore
// src/Identity/test/Identity.Test/PasswordHasherTest.cs (the constants at
// the top of the class, all hashes of "my password"; the V3 defaults are
// those of .NET 7 and later).
const (
	aspNetPassword                   = "my password"
	aspNetV2SHA1_1000                = "AAABAgMEBQYHCAkKCwwNDg+ukCEMDf0yyQ29NYubggHIVY0sdEUfdyeM+E1LtH1uJg=="
	aspNetV2SHA1_1000b               = "ANXrDknc7fGPpigibZXXZFMX4aoqz44JveK6jQuwY3eH/UyPhvr5xTPeGYEckLxz9A=="
	aspNetV3SHA1_250_128_128         = "AQAAAAAAAAD6AAAAEAhftMyfTJylOlZT+eEotFXd1elee8ih5WsjXaR3PA9M"
	aspNetV3SHA256_250000_256_256    = "AQAAAAEAA9CQAAAAIESkQuj2Du8Y+kbc5lcN/W/3NiAZFEm11P27nrSN5/tId+bR1SwV8CO1Jd72r4C08OLvplNlCDc3oQZ8efcW+jQ="
	aspNetV3SHA512_50_128_128        = "AQAAAAIAAAAyAAAAEOMwvh3+FZxqkdMBz2ekgGhwQ4B6pZWND6zgESBuWiHw"
	aspNetV3SHA512_250_256_512       = "AQAAAAIAAAD6AAAAIJbVi5wbMR+htSfFp8fTw8N8GOS/Sje+S/4YZcgBfU7EQuqv4OkVYmc4VJl9AGZzmRTxSkP7LtVi9IWyUxX8IAAfZ8v+ZfhjCcudtC1YERSqE1OEdXLW9VukPuJWBBjLuw=="
	aspNetV3SHA512_10000_128_256     = "AQAAAAIAACcQAAAAEAABAgMEBQYHCAkKCwwNDg9B0Oxwty+PGIDSp95gcCfzeDvA4sGapUIUov8usXfD6A=="
	aspNetV3SHA512_100000_128_256    = "AQAAAAIAAYagAAAAEAABAgMEBQYHCAkKCwwNDg/Q8A0WMKbtHQJQ2DHCdoEeeFBrgNlldq6vH4qX/CGqGQ=="
	aspNetV3SHA256_10000_128_256Net6 = "AQAAAAEAACcQAAAAEAABAgMEBQYHCAkKCwwNDg+yWU7rLgUwPZb1Itsmra7cbxw2EFpwpVFIEtP+JIuUEw==" // .NET 6's default, from the file's earlier version
	aspNetV3IncorrectPassword        = "AQAAAAAAAAD6AAAAEAhftMyfTJyAAAAAAAAAAAAAAAAAAAih5WsjXaR3PA9M"
	aspNetV3TooShort                 = "AQAAAAIAAAAyAAAAEOMwvh3+FZxqkdMBz2ekgGhwQ4A="
	aspNetV3ExtraData                = "AQAAAAIAAAAyAAAAEOMwvh3+FZxqkdMBz2ekgGhwQ4B6pZWND6zgESBuWiHwAAAAAAAAAAAA"
	aspNetV2IncorrectPassword        = "AAABAgMEBQYHCAkKCwwNDg+uAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAALtH1uJg=="
	aspNetV2TooShort                 = "AAABAgMEBQYHCAkKCwwNDg+ukCEMDf0yyQ29NYubggE="
	aspNetV2ExtraData                = "AAABAgMEBQYHCAkKCwwNDg+ukCEMDf0yyQ29NYubggHIVY0sdEUfdyeM+E1LtH1uJgAAAAAAAAAAAAA="
)

// sequentialReader yields 0, 1, 2, ... like the SequentialRandomNumberGenerator
// of PasswordHasherTest.cs, so that hashes are reproducible.
type sequentialReader struct{ next byte }

func (r *sequentialReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.next
		r.next++
	}
	return len(p), nil
}

func TestAspNetCoreVectors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg, err := NewRegistry("aspnetcore", Config{})
	require.NoError(t, err)
	require.Equal(t, "aspnetcore-v3", reg.Default().Name())

	// VerifyHashedPassword_Version3CompatMode_SuccessCases: rehash unless
	// the hash has the current defaults.
	tests := []struct {
		encoded, format string
		rehash          bool
	}{
		{aspNetV2SHA1_1000, "aspnetcore-v2", true},
		{aspNetV2SHA1_1000b, "aspnetcore-v2", true},
		{aspNetV3SHA1_250_128_128, "aspnetcore-v3", true},
		{aspNetV3SHA256_250000_256_256, "aspnetcore-v3", true},
		{aspNetV3SHA512_50_128_128, "aspnetcore-v3", true},
		{aspNetV3SHA512_250_256_512, "aspnetcore-v3", true},
		{aspNetV3SHA512_10000_128_256, "aspnetcore-v3", true},
		{aspNetV3SHA256_10000_128_256Net6, "aspnetcore-v3", true},
		{aspNetV3SHA512_100000_128_256, "aspnetcore-v3", false},
	}
	for _, tt := range tests {
		t.Run(tt.encoded, func(t *testing.T) {
			t.Parallel()
			h, err := reg.Identify(tt.encoded)
			require.NoError(t, err)
			assert.Equal(t, tt.format, h.Name())
			match, rehash, err := reg.Verify(ctx, aspNetPassword, tt.encoded)
			require.NoError(t, err)
			assert.True(t, match)
			assert.Equal(t, tt.rehash, rehash)
			match, rehash, err = reg.Verify(ctx, aspNetPassword+"!", tt.encoded)
			require.NoError(t, err)
			assert.False(t, match)
			assert.False(t, rehash)
		})
	}

	// VerifyHashedPassword_FailureCases: none matches; payloads of the
	// wrong length are errors rather than a silent "no".
	for _, enc := range []string{aspNetV2IncorrectPassword, aspNetV3IncorrectPassword, aspNetV3ExtraData} {
		match, _, err := reg.Verify(ctx, aspNetPassword, enc)
		require.NoError(t, err, enc)
		assert.False(t, match, enc)
	}
	_, _, err = reg.Verify(ctx, aspNetPassword, aspNetV3TooShort)
	assert.ErrorIs(t, err, ErrMalformedHash)
	assert.ErrorContains(t, err, "subkey is 3 bytes")
	for _, enc := range []string{aspNetV2TooShort, aspNetV2ExtraData} {
		match, _, err := reg.Verify(ctx, aspNetPassword, enc)
		assert.ErrorIs(t, err, ErrUnknownFormat, enc)
		assert.False(t, match)
	}
}

func TestAspNetCoreTruncated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg, err := NewRegistry("aspnetcore", Config{})
	require.NoError(t, err)

	// Every cut of a V2 hash (at least 8 characters, enough for the
	// marker) is a V2 hash, and malformed.
	for n := 8; n < len(aspNetV2SHA1_1000); n++ {
		enc := aspNetV2SHA1_1000[:n]
		h, err := reg.Identify(enc)
		require.NoError(t, err, enc)
		require.Equal(t, "aspnetcore-v2", h.Name(), enc)
		_, _, err = reg.Verify(ctx, aspNetPassword, enc)
		require.ErrorIs(t, err, ErrMalformedHash, enc)
	}

	// Every cut of a V3 hash is a V3 hash. It is malformed unless it still
	// decodes to a header, the salt and a subkey of at least 16 bytes:
	// then it is a V3 hash with a shorter subkey, which ASP.NET's
	// PasswordHasher accepts too. PBKDF2's output is a prefix of its longer
	// outputs, so the password still matches, and the shorter subkey is
	// weaker: rehash.
	full := aspNetV3SHA512_100000_128_256
	minValid := base64.StdEncoding.EncodedLen(aspNetV3HeaderLen + 16 + aspNetMinLen)
	for n := 8; n < len(full); n++ {
		enc := full[:n]
		h, err := reg.Identify(enc)
		require.NoError(t, err, enc)
		require.Equal(t, "aspnetcore-v3", h.Name(), enc)
		match, rehash, err := reg.Verify(ctx, aspNetPassword, enc)
		if n%4 == 0 && n >= minValid {
			require.NoError(t, err, enc)
			assert.True(t, match, enc)
			assert.True(t, rehash, enc)
			continue
		}
		require.ErrorIs(t, err, ErrMalformedHash, enc)
	}

	tests := []struct {
		name, encoded string
		want          error
	}{
		{"V3 cut after the iteration count", "AQAAAAIAAYag", ErrMalformedHash},
		{"V3 payload cut inside the subkey (PasswordHasherTest.cs)", aspNetV3TooShort, ErrMalformedHash},
		{"V3 with a trailing newline", aspNetV3SHA512_100000_128_256 + "\n", ErrMalformedHash},
		{"V2 cut inside the padding", aspNetV2SHA1_1000[:67], ErrMalformedHash},
		// Not claimed: they cannot be told from other formats' hashes.
		{"V2 payload cut and padded again (PasswordHasherTest.cs)", aspNetV2TooShort, ErrUnknownFormat},
		{"padded base64 of a 20-byte digest starting with 0x00", "AAECAwQFBgcICQoLDA0ODxAREhM=", ErrUnknownFormat},
		{"upper-case hex MD5 starting with AA", "AAB5F1A2C3D4E5F60718293A4B5C6D7E", ErrUnknownFormat},
		{"too short for a marker", "AQAAAA", ErrUnknownFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			match, rehash, err := reg.Verify(ctx, aspNetPassword, tt.encoded)
			require.ErrorIs(t, err, tt.want)
			assert.False(t, match)
			assert.False(t, rehash)
		})
	}
}

func TestAspNetCoreHashIsByteExact(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// HashPassword_Version3 and HashPassword_Version2, with the same
	// sequential "random" salt.
	reg, err := NewRegistry("aspnetcore", Config{}, WithRandom(&sequentialReader{}))
	require.NoError(t, err)
	got, err := reg.Hash(ctx, aspNetPassword)
	require.NoError(t, err)
	assert.Equal(t, aspNetV3SHA512_100000_128_256, got)

	reg, err = NewRegistry("aspnetcore-v3", Config{AspNetCore: AspNetCoreParams{PRF: PRFSHA512, Iterations: 10_000}},
		WithRandom(&sequentialReader{}))
	require.NoError(t, err)
	got, err = reg.Hash(ctx, aspNetPassword)
	require.NoError(t, err)
	assert.Equal(t, aspNetV3SHA512_10000_128_256, got)

	reg, err = NewRegistry("aspnetcore-v3", Config{AspNetCore: AspNetCoreParams{PRF: PRFSHA256, Iterations: 10_000}},
		WithRandom(&sequentialReader{}))
	require.NoError(t, err)
	got, err = reg.Hash(ctx, aspNetPassword)
	require.NoError(t, err)
	assert.Equal(t, aspNetV3SHA256_10000_128_256Net6, got)

	reg, err = NewRegistry("aspnetcore-v2", Config{InsecureAspNetCoreV2Hashing: true}, WithRandom(&sequentialReader{}))
	require.NoError(t, err)
	got, err = reg.Hash(ctx, aspNetPassword)
	require.NoError(t, err)
	assert.Equal(t, aspNetV2SHA1_1000, got)
	match, rehash, err := reg.Verify(ctx, aspNetPassword, got)
	require.NoError(t, err)
	assert.True(t, match)
	assert.False(t, rehash, "V2 is the default and hashing is enabled")
	match, rehash, err = reg.Verify(ctx, aspNetPassword, aspNetV3SHA512_100000_128_256)
	require.NoError(t, err)
	assert.True(t, match)
	assert.True(t, rehash, "V3 verifies, and is rehashed to the V2 default")
}

// Argon2: the reference implementation's tests, github.com/P-H-C/phc-winner-argon2
// src/test.c (version 0x13 cases, password "password", salt "somesalt").
// The argon2id case is the same file's Argon2id section.
var argon2iVectors = []legacyVector{
	{"password", "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA"},
	{"password", "$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHQ$iekCn0Y3spW+sCcFanM2xBT63UP2sghkUoHLIUpWRS8"},
	{"password", "$argon2i$v=19$m=256,t=2,p=2$c29tZXNhbHQ$T/XOJ2mh1/TIpJHfCdQan76Q5esCFVoT5MAeIM1Oq2E"},
	{"password", "$argon2i$v=19$m=65536,t=1,p=1$c29tZXNhbHQ$0WgHXE2YXhPr6uVgz4uUw7XYoWxRkWtvSsLaOsEbvs8"},
	{"differentpassword", "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$FK6NoBr+qHAMI1jc73xTWNkCEoK9iGY6RWL1n7dNIu4"},
	{"password", "$argon2i$v=19$m=65536,t=2,p=1$ZGlmZnNhbHQ$sDV8zPvvkfOGCw26RHsjSMvv7K2vmQq/6cxAcmxSEnE"},
}

var argon2idVectors = []legacyVector{
	{"password", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"},
}

// bcrypt: Openwall's crypt_blowfish (https://www.openwall.com/crypt/),
// the self-test table of wrapper.c, as also used by pyca/bcrypt's
// tests/test_bcrypt.py. "$2x$" cases and "$2a$" with 8-bit bytes (where
// crypt_blowfish's $2a$ differs from OpenBSD's) are left out.
var bcryptVectors = []legacyVector{
	{"U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"},
	{"U*U*", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK"},
	{"U*U*U", "$2a$05$XXXXXXXXXXXXXXXXXXXXXOAcXxm9kjPGEMsLznoKqmqw7tc8WCx4a"},
	{"", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy"},
	{"\xff\xff\xa3", "$2y$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e"},
	{"\xff\xff\xa3", "$2b$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e"},
	{"\xa3", "$2y$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq"},
	{"\xa3", "$2a$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq"},
}

// bcrypt72 is the first 72 bytes of wrapper.c's "chars after 72 are
// ignored" case, whose hash is bcryptLongVector.
const bcrypt72 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// scrypt: passlib's passlib/tests/test_handlers_scrypt.py (the first two
// are the scrypt paper's test vectors, appendix B, in passlib's format).
var scryptVectors = []legacyVector{
	{"", "$scrypt$ln=4,r=1,p=1$$d9ZXYjhleyA7GcpCwYoEl/FrSETjB0ro39/6P+3iFEI"},
	{"password", "$scrypt$ln=10,r=8,p=16$TmFDbA$/bq+HJ00cgB4VucZDQHp/nxq18vII3gw53N2Y0s3MWI"},
	{"test", "$scrypt$ln=8,r=8,p=1$wlhLyXmP8b53bm1NKYVQqg$mTpvG8lzuuDk+DWz8HZIB6Vum6erDuUm0As5yU+VxWA"},
	{"password", "$scrypt$ln=8,r=2,p=1$dO6d0xoDoLT2PofQGoNQag$g/Wf2A0vhHhaJM+addK61QPBthSmYB6uVTtQzh8CM3o"},
	{upassTable, "$scrypt$ln=7,r=8,p=1$jjGmtDamdA4BQAjBeA9BSA$OiWRHhQtpDx7M/793x6UXK14AD512jg/qNm/hkWZG4M"},
	{"nacl", "$scrypt$ln=1,r=4,p=2$yhnD+J+Tci4lZCwFgHCuVQ$fAsEWmxSHuC0cHKMwKVFPzrQukgvK09Sj+NueTSxKds"},
	{"pleaseletmein", "$scrypt$ln=14,r=8,p=1$U29kaXVtQ2hsb3JpZGU$cCO9yzr9c0hGHAbNgf046/2o+7qQT44+qbVD9lRdofI"},
}

// PBKDF2: passlib's passlib/tests/test_handlers_pbkdf2.py.
const upassWav = "\u0399\u03c9\u03b1\u03bd\u03bd\u03b7\u03c2"

var (
	pbkdf2SHA1Vectors = []legacyVector{
		{"password", "$pbkdf2$1212$OB.dtnSEXZK8U5cgxU/GYQ$y5LKPOplRmok7CZp/aqVDVg8zGI"},
		{upassWav, "$pbkdf2$1212$THDqatpidANpadlLeTeOEg$HV3oi1k5C5LQCgG1BMOL.BX4YZc"},
	}
	pbkdf2SHA256Vectors = []legacyVector{
		{"password", "$pbkdf2-sha256$1212$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ"},
		{upassWav, "$pbkdf2-sha256$1212$3SABFJGDtyhrQMVt1uABPw$WyaUoqCLgvz97s523nF4iuOqZNbp5Nt8do/cuaa7AiI"},
	}
	pbkdf2SHA512Vectors = []legacyVector{
		{"password", "$pbkdf2-sha512$1212$RHY0Fr3IDMSVO/RSZyb5ow$eNLfBK.eVozomMr.1gYa17k9B7KIK25NOEshvhrSX.esqY3s.FvWZViXz4KoLlQI.BzY/YTNJOiKc5gBYFYGww"},
		{upassWav, "$pbkdf2-sha512$1212$KkbvoKGsAIcF8IslDR6skQ$8be/PRmd88Ps8fmPowCJttH9G3vgxpG.Krjt3KT.NP6cKJ0V4Prarqf.HBwz0dCkJ6xgWnSj2ynXSV7MlvMa8Q"},
	}
)

// pbkdf2PHCForm rewrites a passlib PBKDF2 vector in the PHC string form
// ($pbkdf2-sha256$i=1212,l=32$<salt>$<key>, standard base64): the same
// password, salt and key, so the passlib vectors also test that form.
func pbkdf2PHCForm(t *testing.T, v legacyVector) legacyVector {
	t.Helper()
	for _, pv := range []*passlibPBKDF2Variant{passlibPBKDF2SHA1, passlibPBKDF2SHA256, passlibPBKDF2SHA512} {
		h, err := pv.parse(v.encoded, DefaultLimits())
		if err != nil {
			continue
		}
		enc := base64.RawStdEncoding
		return legacyVector{v.password, pv.prefix + "i=" + strconv.Itoa(h.iterations) + ",l=" + strconv.Itoa(len(h.key)) + "$" +
			enc.EncodeToString(h.salt) + "$" + enc.EncodeToString(h.key)}
	}
	t.Fatalf("not a passlib PBKDF2 vector: %s", v.encoded)
	return legacyVector{}
}

// modernTestHasher returns the registry's hasher called name, with fast
// parameters for round trips.
func modernTestHasher(t testing.TB, name string, opts ...Option) Hasher {
	t.Helper()
	reg, err := NewRegistry("usher-v1", Config{
		Argon2:                      Argon2Params{MemoryKiB: 64, Time: 1},
		BcryptCost:                  4,
		Scrypt:                      ScryptParams{LogN: 4, R: 8},
		PBKDF2:                      PBKDF2Params{SHA1Iterations: 1000, SHA256Iterations: 1000, SHA512Iterations: 1000},
		AspNetCore:                  AspNetCoreParams{Iterations: 1000},
		InsecureAspNetCoreV2Hashing: true,
	}, opts...)
	require.NoError(t, err)
	h, ok := reg.Lookup(name)
	require.True(t, ok, name)
	return h
}

func TestModernVectors(t *testing.T) {
	t.Parallel()
	var phc256, phc512, phc1 []legacyVector
	for _, v := range pbkdf2SHA1Vectors {
		phc1 = append(phc1, pbkdf2PHCForm(t, v))
	}
	for _, v := range pbkdf2SHA256Vectors {
		phc256 = append(phc256, pbkdf2PHCForm(t, v))
	}
	for _, v := range pbkdf2SHA512Vectors {
		phc512 = append(phc512, pbkdf2PHCForm(t, v))
	}
	tests := []struct {
		name    string
		vectors []legacyVector
	}{
		{"argon2i", argon2iVectors},
		{"usher-v1", argon2idVectors},
		{"bcrypt", bcryptVectors},
		{"scrypt", scryptVectors},
		{"pbkdf2-sha1", pbkdf2SHA1Vectors},
		{"pbkdf2-sha256", pbkdf2SHA256Vectors},
		{"pbkdf2-sha512", pbkdf2SHA512Vectors},
		{"pbkdf2-sha1", phc1},
		{"pbkdf2-sha256", phc256},
		{"pbkdf2-sha512", phc512},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkLegacyVectors(t, modernTestHasher(t, tt.name), tt.vectors)
		})
	}
}

func TestModernMalformed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		want    error
		encoded []string
	}{
		// phc-winner-argon2 src/test.c error cases.
		{"argon2i", ErrMalformedHash, []string{
			"$argon2i$v=19$m=65536,t=2,p=1c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA", // missing '$'
			"$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQwWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA", // missing '$'
			"$argon2i$v=19$m=65536,t=2,p=1$$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ",           // salt too short
			"$argon2i$v=19$m=65536,t=2$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA",    // no p
			"$argon2i$v=19$m=65536,t=2,p=1,x=3$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA",
			"$argon2i$v=19$m=65536,t=0,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA",
			"$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA$",
			"$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$!!!",
		}},
		// Version 16 (no v=), from the same file: not supported.
		{"argon2i", ErrUnknownFormat, []string{"$argon2i$m=65536,t=2,p=1$c29tZXNhbHQ$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ"}},
		{"usher-v1", ErrLimitExceeded, []string{
			"$argon2id$v=19$m=1048576,t=2,p=1$c29tZXNhbHQ$0Vh6ygkiw7XWqD7asxvuPE667zQu1hJ6VdGbI1GtH0E",
			"$argon2id$v=19$m=65536,t=4000000000,p=1$c29tZXNhbHQ$0Vh6ygkiw7XWqD7asxvuPE667zQu1hJ6VdGbI1GtH0E",
			"$argon2id$v=19$m=65536,t=2,p=255$c29tZXNhbHQ$0Vh6ygkiw7XWqD7asxvuPE667zQu1hJ6VdGbI1GtH0E",
		}},
		{"bcrypt", ErrMalformedHash, []string{
			"$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOe",   // short
			"$2a$5$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeWW",  // one-digit cost
			"$2a$03$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",  // cost below 4
			"$2a$05$CCCCCCCCCCCCCCCCCCCCC!E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",  // bad character
			"$2a$xx$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",  // cost not digits
			"$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW$", // trailing
		}},
		{"bcrypt", ErrLimitExceeded, []string{"$2b$31$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"}},
		// passlib's known_malformed_hashes for scrypt.
		{"scrypt", ErrMalformedHash, []string{
			"$scrypt$ln=10,r=1$wvif8/4fg1Cq9V7L2dv73w$bJcLia1lyfQ1X2x0xflehwVXPzWIUQWWdnlGwfVzBeQ",
			"$scrypt$ln=0,r=1,p=1$wvif8/4fg1Cq9V7L2dv73w$bJcLia1lyfQ1X2x0xflehwVXPzWIUQWWdnlGwfVzBeQ",
			"$scrypt$ln=10,r=A,p=1$wvif8/4fg1Cq9V7L2dv73w$bJcLia1lyfQ1X2x0xflehwVXPzWIUQWWdnlGwfVzBeQ",
			"$scrypt$ln=10,r=134217728,p=8$wvif8/4fg1Cq9V7L2dv73w$bJcLia1lyfQ1X2x0xflehwVXPzWIUQWWdnlGwfVzBeQ",
		}},
		{"scrypt", ErrLimitExceeded, []string{
			"$scrypt$ln=30,r=8,p=1$wvif8/4fg1Cq9V7L2dv73w$bJcLia1lyfQ1X2x0xflehwVXPzWIUQWWdnlGwfVzBeQ",
			"$scrypt$ln=4,r=8,p=1000$wvif8/4fg1Cq9V7L2dv73w$bJcLia1lyfQ1X2x0xflehwVXPzWIUQWWdnlGwfVzBeQ",
		}},
		// passlib's known_malformed_hashes for pbkdf2_sha1.
		{"pbkdf2-sha1", ErrMalformedHash, []string{
			"$pbkdf2$01212$THDqatpidANpadlLeTeOEg$HV3oi1k5C5LQCgG1BMOL.BX4YZc",
			"$pbkdf2$$THDqatpidANpadlLeTeOEg$HV3oi1k5C5LQCgG1BMOL.BX4YZc",
			"$pbkdf2$1212$THDqatpidANpadlLeTeOEg$HV3oi1k5C5LQCgG1BMOL.BX4YZc$",
			"$pbkdf2$1212$THDqatpidANpadlLeTeOEg$HV3oi1k5C5LQCgG1BMOL",
		}},
		{"pbkdf2-sha256", ErrMalformedHash, []string{
			"$pbkdf2-sha256$i=1212,l=31$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg+fJPeq1h/gXXY7acBp9/6c+tmQ",
			"$pbkdf2-sha256$i=1212,x=1$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg+fJPeq1h/gXXY7acBp9/6c+tmQ",
			"$pbkdf2-sha256$l=32$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg+fJPeq1h/gXXY7acBp9/6c+tmQ",
		}},
		{"pbkdf2-sha512", ErrLimitExceeded, []string{
			"$pbkdf2-sha512$2000000000$RHY0Fr3IDMSVO/RSZyb5ow$eNLfBK.eVozomMr.1gYa17k9B7KIK25NOEshvhrSX.esqY3s.FvWZViXz4KoLlQI.BzY/YTNJOiKc5gBYFYGww",
			"$pbkdf2-sha512$99999999999$RHY0Fr3IDMSVO/RSZyb5ow$eNLfBK.eVozomMr.1gYa17k9B7KIK25NOEshvhrSX.esqY3s.FvWZViXz4KoLlQI.BzY/YTNJOiKc5gBYFYGww",
		}},
		{"aspnetcore-v3", ErrMalformedHash, []string{aspNetV3TooShort, "AQAAAAMAAAAyAAAAEOMwvh3+FZxqkdMBz2ekgGhwQ4B6pZWND6zgESBuWiHw", "AQAAAAIAAAAAAAAAEOMwvh3+FZxqkdMBz2ekgGhwQ4B6pZWND6zgESBuWiHw", "not base64!"}},
		{"aspnetcore-v3", ErrLimitExceeded, []string{"AQAAAAL/////AAAAEOMwvh3+FZxqkdMBz2ekgGhwQ4B6pZWND6zgESBuWiHw"}},
		{"aspnetcore-v2", ErrMalformedHash, []string{aspNetV2TooShort, aspNetV2ExtraData}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkLegacyErrors(t, modernTestHasher(t, tt.name), tt.want, tt.encoded...)
		})
	}
}

func TestModernRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, prefix string }{
		{"usher-v1", "$argon2id$v=19$m=64,t=1,p=1$"},
		{"argon2i", "$argon2i$v=19$m=64,t=1,p=1$"},
		{"bcrypt", "$2b$04$"},
		{"scrypt", "$scrypt$ln=4,r=8,p=1$"},
		{"pbkdf2-sha1", "$pbkdf2$1000$"},
		{"pbkdf2-sha256", "$pbkdf2-sha256$1000$"},
		{"pbkdf2-sha512", "$pbkdf2-sha512$1000$"},
		{"aspnetcore-v3", "AQAAAAIAAAPo"},
		{"aspnetcore-v2", "A"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkLegacyRoundTrip(t, modernTestHasher(t, tt.name), tt.prefix)
		})
	}
}

func TestBcryptPasswordTooLong(t *testing.T) {
	t.Parallel()
	h := modernTestHasher(t, "bcrypt")
	ctx := context.Background()
	long := bcrypt72 + "chars after 72 are ignored"

	_, err := h.Hash(ctx, long)
	require.ErrorIs(t, err, ErrPasswordTooLong)
	assert.ErrorContains(t, err, "at most 72 bytes")

	// wrapper.c's vector was made from the long password by truncation;
	// Usher refuses rather than truncates, and the 72 bytes match.
	const bcryptLongVector = "$2a$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui"
	match, _, err := h.Verify(ctx, long, bcryptLongVector)
	require.ErrorIs(t, err, ErrPasswordTooLong)
	assert.False(t, match)
	match, _, err = h.Verify(ctx, bcrypt72, bcryptLongVector)
	require.NoError(t, err)
	assert.True(t, match)

	enc, err := h.Hash(ctx, bcrypt72)
	require.NoError(t, err)
	match, _, err = h.Verify(ctx, bcrypt72, enc)
	require.NoError(t, err)
	assert.True(t, match)
}

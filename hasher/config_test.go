package hasher

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	p, err := Config{}.params()
	require.NoError(t, err)
	assert.Equal(t, Argon2Params{MemoryKiB: 19 * 1024, Time: 2, Parallelism: 1, SaltLen: 16, KeyLen: 32}, p.Argon2)
	assert.Equal(t, AspNetCoreParams{PRF: PRFSHA512, Iterations: 100_000, SaltLen: 16, KeyLen: 32}, p.AspNetCore)
	assert.False(t, p.InsecureAspNetCoreV2Hashing)
	assert.Equal(t, 12, p.BcryptCost)
	assert.Equal(t, PBKDF2Params{SHA1Iterations: 1_300_000, SHA256Iterations: 600_000, SHA512Iterations: 210_000, SaltLen: 16}, p.PBKDF2)
	assert.Equal(t, ScryptParams{LogN: 16, R: 8, P: 1, SaltLen: 16, KeyLen: 32}, p.Scrypt)
	assert.Equal(t, LegacyParams{SHACryptRounds: 656_000, DjangoPBKDF2Iterations: 1_000_000}, p.Legacy)
	assert.Nil(t, p.Firebase)
	assert.Nil(t, p.firebase)
	assert.Equal(t, DefaultLimits(), p.Limits)

	// Set fields are kept, zero ones beside them take their defaults.
	p, err = Config{Argon2: Argon2Params{Time: 3}, Limits: Limits{MaxTime: 4}}.params()
	require.NoError(t, err)
	assert.Equal(t, 3, p.Argon2.Time)
	assert.Equal(t, 19*1024, p.Argon2.MemoryKiB)
	assert.Equal(t, 4, p.Limits.MaxTime)
	assert.Equal(t, DefaultLimits().MaxIterations, p.Limits.MaxIterations)
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		want []string // each is in the error
	}{
		{"Argon2", Config{Argon2: Argon2Params{Parallelism: 300, SaltLen: 4, KeyLen: 8}},
			[]string{"Config.Argon2.Parallelism 300", "Config.Argon2.SaltLen 4", "Config.Argon2.KeyLen 8"}},
		{"Argon2 memory per lane", Config{Argon2: Argon2Params{MemoryKiB: 8, Parallelism: 2}},
			[]string{"Config.Argon2.MemoryKiB 8 is outside [16, "}},
		{"AspNetCore", Config{AspNetCore: AspNetCoreParams{PRF: PRF(9), Iterations: -1, SaltLen: 8, KeyLen: 8}},
			[]string{"Config.AspNetCore.PRF PRF(9)", "Config.AspNetCore.Iterations -1", "Config.AspNetCore.SaltLen 8", "Config.AspNetCore.KeyLen 8"}},
		{"BcryptCost too low", Config{BcryptCost: 3}, []string{"Config.BcryptCost 3 is outside [4, 31]"}},
		{"BcryptCost too high", Config{BcryptCost: 32}, []string{"Config.BcryptCost 32 is outside [4, 31]"}},
		{"PBKDF2", Config{PBKDF2: PBKDF2Params{SHA1Iterations: -1, SHA256Iterations: -2, SHA512Iterations: -3, SaltLen: 7}},
			[]string{"Config.PBKDF2.SHA1Iterations -1", "Config.PBKDF2.SHA256Iterations -2", "Config.PBKDF2.SHA512Iterations -3", "Config.PBKDF2.SaltLen 7"}},
		{"Scrypt", Config{Scrypt: ScryptParams{LogN: 41, R: -1, P: -1, SaltLen: 4, KeyLen: 4}},
			[]string{"Config.Scrypt.LogN 41", "Config.Scrypt.R -1", "Config.Scrypt.P -1", "Config.Scrypt.SaltLen 4", "Config.Scrypt.KeyLen 4"}},
		{"Legacy", Config{Legacy: LegacyParams{SHACryptRounds: 999, DjangoPBKDF2Iterations: -1}},
			[]string{"Config.Legacy.SHACryptRounds 999", "Config.Legacy.DjangoPBKDF2Iterations -1"}},
		{"Legacy rounds too high", Config{Legacy: LegacyParams{SHACryptRounds: 1_000_000_000}},
			[]string{"Config.Legacy.SHACryptRounds 1000000000"}},
		{"Firebase empty", Config{Firebase: &FirebaseScryptParams{}},
			[]string{"Config.Firebase.SignerKey is required", "Config.Firebase.Rounds 0", "Config.Firebase.MemCost 0"}},
		{"Firebase not base64", Config{Firebase: &FirebaseScryptParams{SignerKey: "*", SaltSeparator: "*", Rounds: 8, MemCost: 31}},
			[]string{"Config.Firebase.SignerKey: ", "Config.Firebase.SaltSeparator: ", "Config.Firebase.MemCost 31"}},
		{"Limits", Config{Limits: Limits{MaxIterations: -1, MaxMemoryKiB: -2, MaxTime: -3, MaxParallelism: -4, MaxBcryptCost: -5, MaxSaltBytes: -6, MaxKeyBytes: -7}},
			[]string{"Config.Limits.MaxIterations -1", "Config.Limits.MaxMemoryKiB -2", "Config.Limits.MaxTime -3", "Config.Limits.MaxParallelism -4",
				"Config.Limits.MaxBcryptCost -5", "Config.Limits.MaxSaltBytes -6", "Config.Limits.MaxKeyBytes -7"}},
		{"several at once", Config{
			Argon2:     Argon2Params{Time: -1},
			BcryptCost: 99,
			Scrypt:     ScryptParams{LogN: 41},
			Legacy:     LegacyParams{SHACryptRounds: 1},
			Firebase:   &FirebaseScryptParams{SignerKey: "a2V5", Rounds: 8},
			Limits:     Limits{MaxTime: -1},
		}, []string{"Config.Argon2.Time -1", "Config.BcryptCost 99", "Config.Scrypt.LogN 41", "Config.Legacy.SHACryptRounds 1",
			"Config.Firebase.MemCost 0", "Config.Limits.MaxTime -1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg, err := NewRegistry("usher", tt.cfg)
			require.Error(t, err)
			assert.Nil(t, reg)
			for _, want := range tt.want {
				assert.ErrorContains(t, err, want)
			}
			lines := strings.Split(err.Error(), "\n")
			assert.Len(t, lines, len(tt.want), "one line per problem")
			for _, line := range lines {
				assert.True(t, strings.HasPrefix(line, "hasher: "), line)
			}
		})
	}
}

// Parameters above Limits do not fail NewRegistry (only Hash, see
// TestRegistryLimits), so lowering a limit does not break unused hashers.
func TestConfigAboveLimitsIsValid(t *testing.T) {
	t.Parallel()
	_, err := NewRegistry("bcrypt", Config{BcryptCost: 14, Limits: Limits{MaxBcryptCost: 10, MaxMemoryKiB: 1024}})
	assert.NoError(t, err)
}

func TestOptionsRefuseNil(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opt  Option
		want string
	}{
		{"nil Option", nil, "hasher: nil Option"},
		{"WithRandom(nil)", WithRandom(nil), "hasher: WithRandom: nil reader"},
		{"WithHasher(nil)", WithHasher(nil), "hasher: WithHasher: hasher must be non-nil and named"},
		{"WithHasher(unnamed)", WithHasher(prefixHasher{prefix: "{X}"}), "hasher: WithHasher: hasher must be non-nil and named"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg, err := NewRegistry("usher", Config{}, tt.opt)
			assert.Nil(t, reg)
			assert.EqualError(t, err, tt.want)
		})
	}

	// Refused options and bad Config fields are reported together.
	_, err := NewRegistry("usher", Config{BcryptCost: 1}, WithRandom(nil), nil, WithHasher(nil))
	require.Error(t, err)
	for _, want := range []string{"WithRandom", "nil Option", "WithHasher", "Config.BcryptCost 1"} {
		assert.ErrorContains(t, err, want)
	}
}

func TestOptionsSetDependencies(t *testing.T) {
	t.Parallel()
	reg, err := NewRegistry("usher-v1", fastConfig, WithRandom(&sequentialReader{}))
	require.NoError(t, err)
	ctx := context.Background()
	enc, err := reg.Hash(ctx, "pw")
	require.NoError(t, err)
	assert.Contains(t, enc, "$AAECAwQFBgcICQoLDA0ODw$", "salt 0, 1, ..., 15 from the reader")
}

package hasher

import (
	"context"
	"testing"
)

// Benchmarks of Hash and Verify for every hasher, with each hasher's
// default parameters (the cost a login pays), except where noted. Run:
//
//	go test -run='^$' -bench=. -benchmem ./hasher
//
// Figures are in BENCHMARKS.md.

// benchCase is a hasher and a hash of benchPassword it verifies.
type benchCase struct {
	name, password, encoded string
}

const benchPassword = "correct horse battery staple"

func BenchmarkHash(b *testing.B) {
	reg, err := NewRegistry("usher", Config{InsecureAspNetCoreV2Hashing: true})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, name := range []string{
		"usher-v1", "argon2i", "aspnetcore-v3", "aspnetcore-v2", "bcrypt", "scrypt",
		"pbkdf2-sha1", "pbkdf2-sha256", "pbkdf2-sha512",
		"sha256-crypt", "sha512-crypt", "ldap-ssha256", "ldap-ssha512", "ldap-crypt", "django-pbkdf2-sha256",
	} {
		h, ok := reg.Lookup(name)
		if !ok {
			b.Fatalf("no hasher %q", name)
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := h.Hash(ctx, benchPassword); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	reg, err := NewRegistry("usher", Config{InsecureAspNetCoreV2Hashing: true, Firebase: legacyFirebase()})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var cases []benchCase
	// Hashes made with each producing hasher's defaults.
	for _, name := range []string{
		"usher-v1", "argon2i", "aspnetcore-v3", "aspnetcore-v2", "bcrypt", "scrypt",
		"pbkdf2-sha1", "pbkdf2-sha256", "pbkdf2-sha512",
		"sha256-crypt", "sha512-crypt", "ldap-ssha256", "ldap-ssha512", "ldap-crypt", "django-pbkdf2-sha256",
	} {
		h, _ := reg.Lookup(name)
		enc, err := h.Hash(ctx, benchPassword)
		if err != nil {
			b.Fatal(err)
		}
		cases = append(cases, benchCase{name, benchPassword, enc})
	}
	// Verify-only formats: their test vectors, whatever their parameters.
	cases = append(cases,
		benchCase{"md5-crypt", md5CryptVectors[2].password, md5CryptVectors[2].encoded},
		benchCase{"ldap-sha", ldapSHAVectors[0].password, ldapSHAVectors[0].encoded},
		benchCase{"ldap-ssha", ldapSSHAVectors[0].password, ldapSSHAVectors[0].encoded},
		benchCase{"django-pbkdf2-sha1 (10000 iterations)", djangoPBKDF2SHA1Vectors[0].password, djangoPBKDF2SHA1Vectors[0].encoded},
		benchCase{"django-argon2 (m=512,t=2,p=2)", djangoArgon2Vectors[2].password, djangoArgon2Vectors[2].encoded},
		benchCase{"django-bcrypt-sha256 (cost 8)", djangoBcryptSHA256Vectors[1].password, djangoBcryptSHA256Vectors[1].encoded},
		benchCase{"firebase-scrypt (rounds 8, mem_cost 14)", firebaseVectors[0].password, firebaseVectors[0].encoded},
	)
	for _, c := range cases {
		h, err := reg.Identify(c.encoded)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				match, _, err := h.Verify(ctx, c.password, c.encoded)
				if err != nil || !match {
					b.Fatal(match, err)
				}
			}
		})
	}
}

// BenchmarkPBKDF2SHA512 is the loop internal/cmd/pbkdf2bench compares with
// OpenSSL, at 100,000 iterations (ASP.NET Core V3's default).
func BenchmarkPBKDF2SHA512(b *testing.B) {
	ctx := context.Background()
	salt := []byte("usher-pbkdf2-salt")
	for b.Loop() {
		if _, err := pbkdf2Key(ctx, PRFSHA512, benchPassword, salt, 100_000, 64); err != nil {
			b.Fatal(err)
		}
	}
}

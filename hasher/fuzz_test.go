package hasher

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// The fuzz targets feed stored-hash strings to the parsers through the
// hashers' Verify, with small Limits so that any hash they accept is cheap
// to check. Each checks that nothing panics, that errors are the package's
// sentinels with the package's prefix, and that an error never comes with
// a match. The seed corpus is the vectors of the tests, plus anything
// interesting the fuzzer found, under testdata/fuzz/<target>.

// fuzzLimits keep accepted hashes cheap to verify.
var fuzzLimits = Limits{
	MaxIterations: 2000, MaxMemoryKiB: 256, MaxTime: 2, MaxParallelism: 2,
	MaxBcryptCost: 5, MaxSaltBytes: 64, MaxKeyBytes: 128,
}

// fuzzRegistry has every hasher, Firebase with cheap parameters.
func fuzzRegistry(f *testing.F) *Registry {
	f.Helper()
	reg, err := NewRegistry("usher", Config{
		Limits: fuzzLimits,
		Argon2: Argon2Params{MemoryKiB: 64, Time: 1},
		Scrypt: ScryptParams{LogN: 4, R: 2},
		Firebase: &FirebaseScryptParams{
			SignerKey:     "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==",
			SaltSeparator: "Bw==", Rounds: 1, MemCost: 4,
		},
	})
	if err != nil {
		f.Fatal(err)
	}
	return reg
}

// fuzzVerify verifies encoded with each named hasher and checks the
// invariants.
func fuzzVerify(t *testing.T, reg *Registry, names []string, encoded string) {
	for _, name := range names {
		h, ok := reg.Lookup(name)
		if !ok {
			t.Fatalf("no hasher %q", name)
		}
		h.Recognize(encoded)
		match, weaker, err := h.Verify(context.Background(), "password", encoded)
		checkFuzzResult(t, name, encoded, match, weaker, err)
	}
	match, rehash, err := reg.Verify(context.Background(), "password", encoded)
	checkFuzzResult(t, "registry", encoded, match, rehash, err)
}

func checkFuzzResult(t *testing.T, name, encoded string, match, weaker bool, err error) {
	t.Helper()
	if err == nil {
		if weaker && !match {
			t.Errorf("%s(%q): weaker without a match", name, encoded)
		}
		return
	}
	if match || weaker {
		t.Errorf("%s(%q): match %v, weaker %v with error %v", name, encoded, match, weaker, err)
	}
	if !errors.Is(err, ErrMalformedHash) && !errors.Is(err, ErrUnknownFormat) &&
		!errors.Is(err, ErrLimitExceeded) && !errors.Is(err, ErrPasswordTooLong) {
		t.Errorf("%s(%q): error is no sentinel of the package: %v", name, encoded, err)
	}
	if !strings.HasPrefix(err.Error(), "hasher: ") {
		t.Errorf("%s(%q): error without package prefix: %v", name, encoded, err)
	}
}

func addSeeds(f *testing.F, seeds ...[]legacyVector) {
	for _, vs := range seeds {
		for _, v := range vs {
			f.Add(v.encoded)
		}
	}
}

func FuzzPHC(f *testing.F) {
	addSeeds(f, argon2iVectors, argon2idVectors, scryptVectors, pbkdf2SHA1Vectors, pbkdf2SHA256Vectors, pbkdf2SHA512Vectors)
	f.Add("$pbkdf2-sha256$i=1000,l=32$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg+fJPeq1h/gXXY7acBp9/6c+tmQ")
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc")
	f.Add("$scrypt$ln=4,r=1,p=1$$d9ZXYjhleyA7GcpCwYoEl/FrSETjB0ro39/6P+3iFEI")
	reg := fuzzRegistry(f)
	names := []string{"usher-v1", "argon2i", "scrypt", "pbkdf2-sha1", "pbkdf2-sha256", "pbkdf2-sha512"}
	f.Fuzz(func(t *testing.T, encoded string) {
		if p, err := parsePHC("fuzz", encoded); err == nil {
			if len(p.params) > 0 && !isPHCName(p.params[0].name) {
				t.Errorf("parsePHC(%q) accepted parameter name %q", encoded, p.params[0].name)
			}
		} else if !errors.Is(err, ErrMalformedHash) && !errors.Is(err, ErrLimitExceeded) {
			t.Errorf("parsePHC(%q): %v", encoded, err)
		}
		fuzzVerify(t, reg, names, encoded)
	})
}

func FuzzAspNetCore(f *testing.F) {
	for _, s := range []string{
		aspNetV2SHA1_1000, aspNetV3SHA1_250_128_128, aspNetV3SHA512_50_128_128, aspNetV3TooShort,
		aspNetV3ExtraData, aspNetV2TooShort, "AQAAAAL/////AAAAEOMwvh3+FZxqkdMBz2ekgGhwQ4B6pZWND6zgESBuWiHw",
		"AQAAAAIAAYag", aspNetV2SHA1_1000[:40], aspNetV2SHA1_1000[:67],
	} {
		f.Add(s)
	}
	reg := fuzzRegistry(f)
	f.Fuzz(func(t *testing.T, encoded string) {
		fuzzVerify(t, reg, []string{"aspnetcore-v3", "aspnetcore-v2"}, encoded)
	})
}

func FuzzBcrypt(f *testing.F) {
	addSeeds(f, bcryptVectors)
	f.Add("$2b$04$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW")
	reg := fuzzRegistry(f)
	f.Fuzz(func(t *testing.T, encoded string) {
		fuzzVerify(t, reg, []string{"bcrypt"}, encoded)
	})
}

func FuzzCrypt(f *testing.F) {
	addSeeds(f, md5CryptVectors, sha256CryptVectors, sha512CryptVectors,
		kratosMD5CryptVectors, kratosSHA256CryptVectors, kratosSHA512CryptVectors)
	f.Add("$sha256-crypt$rounds=1000$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC")
	f.Add("$md5-crypt$$")
	reg := fuzzRegistry(f)
	f.Fuzz(func(t *testing.T, encoded string) {
		fuzzVerify(t, reg, []string{
			"md5-crypt", "sha256-crypt", "sha512-crypt",
			"kratos-md5-crypt", "kratos-sha256-crypt", "kratos-sha512-crypt",
		}, encoded)
	})
}

func FuzzLDAP(f *testing.F) {
	addSeeds(f, ldapMD5Vectors, ldapSMD5Vectors, ldapSHAVectors, ldapSSHAVectors, ldapSSHA256Vectors, ldapSSHA512Vectors, ldapCryptVectors)
	f.Add("{CRYPT}$2b$04$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW")
	f.Add("{smd5}LnuZPJhiaY95/4lmVFpg548xBsD4P4cw")
	reg := fuzzRegistry(f)
	f.Fuzz(func(t *testing.T, encoded string) {
		fuzzVerify(t, reg, []string{"ldap-md5", "ldap-smd5", "ldap-sha", "ldap-ssha", "ldap-ssha256", "ldap-ssha512", "ldap-crypt"}, encoded)
	})
}

func FuzzDjango(f *testing.F) {
	addSeeds(f, djangoPBKDF2SHA256Vectors, djangoPBKDF2SHA1Vectors, djangoArgon2Vectors, djangoBcryptSHA256Vectors)
	f.Add("pbkdf2_sha256$1000$seasalt$Ybw8zsFxqja97tY/o6G+Fy1ksY4U/Hw3DRrGED6Up4s=")
	reg := fuzzRegistry(f)
	f.Fuzz(func(t *testing.T, encoded string) {
		fuzzVerify(t, reg, []string{"django-pbkdf2-sha256", "django-pbkdf2-sha1", "django-argon2", "django-bcrypt-sha256"}, encoded)
	})
}

func FuzzFirebase(f *testing.F) {
	addSeeds(f, firebaseVectors)
	f.Add("$firebase-scrypt$$")
	reg := fuzzRegistry(f)
	f.Fuzz(func(t *testing.T, encoded string) {
		fuzzVerify(t, reg, []string{"firebase-scrypt"}, encoded)
	})
}

package hasher_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/usher-sdk/usher/hasher"
)

// Hash a new password with the default algorithm and verify it at login.
func Example() {
	ctx := context.Background()
	// usher-v1: argon2id; the zero Config has OWASP's parameters.
	reg, err := hasher.NewRegistry("usher", hasher.Config{})
	if err != nil {
		log.Fatal(err)
	}
	encoded, err := reg.Hash(ctx, "correct horse battery staple")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.HasPrefix(encoded, "$argon2id$v=19$m=19456,t=2,p=1$"))

	match, rehash, err := reg.Verify(ctx, "correct horse battery staple", encoded)
	fmt.Println(match, rehash, err)
	match, rehash, err = reg.Verify(ctx, "wrong", encoded)
	fmt.Println(match, rehash, err)
	// Output:
	// true
	// true false <nil>
	// false false <nil>
}

// A user imported from ASP.NET Core Identity logs in: the stored V3 hash
// verifies, and rehash says to store a usher-v1 hash in its place.
func ExampleRegistry_Verify_migration() {
	ctx := context.Background()
	reg, err := hasher.NewRegistry("usher-v1", hasher.Config{})
	if err != nil {
		log.Fatal(err)
	}
	// From ASP.NET Core's PasswordHasherTest.cs: "my password", HMAC-SHA512,
	// 100,000 iterations.
	stored := "AQAAAAIAAYagAAAAEAABAgMEBQYHCAkKCwwNDg/Q8A0WMKbtHQJQ2DHCdoEeeFBrgNlldq6vH4qX/CGqGQ=="
	h, _ := reg.Identify(stored)
	fmt.Println("format:", h.Name())

	match, rehash, err := reg.Verify(ctx, "my password", stored)
	if err != nil {
		log.Fatal(err)
	}
	if match && rehash {
		stored, err = reg.Hash(ctx, "my password")
		if err != nil {
			log.Fatal(err)
		}
	}
	h, _ = reg.Identify(stored)
	fmt.Println("match:", match, "rehashed to:", h.Name())
	// Output:
	// format: aspnetcore-v3
	// match: true rehashed to: usher-v1
}

// Users who do not exist are checked against Dummy, so that they take as
// long to refuse as a wrong password.
func ExampleRegistry_Dummy() {
	ctx := context.Background()
	reg, err := hasher.NewRegistry("usher", hasher.Config{})
	if err != nil {
		log.Fatal(err)
	}
	users := map[string]string{} // login -> stored hash; nobody yet

	stored, found := users["mallory"]
	if !found {
		if stored, err = reg.Dummy(ctx); err != nil {
			log.Fatal(err)
		}
	}
	match, _, err := reg.Verify(ctx, "guess", stored)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("logged in:", found && match)
	// Output: logged in: false
}

// Parameters of new hashes are in a Config, whose zero fields take their
// defaults. NewRegistry names every field out of range at once.
func ExampleConfig() {
	_, err := hasher.NewRegistry("bcrypt", hasher.Config{
		Argon2:     hasher.Argon2Params{SaltLen: 4},
		BcryptCost: 3,
	})
	fmt.Println(err)

	reg, err := hasher.NewRegistry("bcrypt", hasher.Config{
		BcryptCost: 10,
		Limits:     hasher.Limits{MaxBcryptCost: 12}, // refuse stored hashes above cost 12
	})
	if err != nil {
		log.Fatal(err)
	}
	encoded, err := reg.Hash(context.Background(), "correct horse battery staple")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(encoded[:len("$2b$10$")])
	// Output:
	// hasher: Config.Argon2.SaltLen 4 is outside [8, 65536]
	// hasher: Config.BcryptCost 3 is outside [4, 31]
	// $2b$10$
}

// plainSHA is a caller's hasher for a format of an old system, registered
// with WithHasher so that its users can log in and be migrated. It only
// verifies, and says so by implementing VerifyOnlyHasher.
type plainSHA struct{ inner hasher.Hasher }

func (plainSHA) Name() string                  { return "oldsystem" }
func (plainSHA) Recognize(encoded string) bool { return strings.HasPrefix(encoded, "old:") }
func (plainSHA) Hash(context.Context, string) (string, error) {
	return "", hasher.ErrVerifyOnly
}
func (p plainSHA) Verify(ctx context.Context, password, encoded string) (bool, bool, error) {
	// The old system stored {SSHA} behind its own prefix.
	return p.inner.Verify(ctx, password, strings.TrimPrefix(encoded, "old:"))
}
func (plainSHA) VerifyOnly() bool { return true }

var _ hasher.VerifyOnlyHasher = plainSHA{}

// Register a hasher for a format Usher does not know.
func ExampleWithHasher() {
	builtin, err := hasher.NewRegistry("usher", hasher.Config{})
	if err != nil {
		log.Fatal(err)
	}
	ssha, _ := builtin.Lookup("ldap-ssha")

	reg, err := hasher.NewRegistry("usher", hasher.Config{}, hasher.WithHasher(plainSHA{inner: ssha}))
	if err != nil {
		log.Fatal(err)
	}
	// passlib's {SSHA} test vector for "secret", behind the old prefix.
	match, rehash, err := reg.Verify(context.Background(), "secret", "old:{SSHA}0H+zTv8o4MR4H43n03eCsvw1luG8LdB7")
	fmt.Println(match, rehash, err)

	// A verify-only hasher cannot be the default.
	_, err = hasher.NewRegistry("oldsystem", hasher.Config{}, hasher.WithHasher(plainSHA{inner: ssha}))
	fmt.Println(err)
	// Output:
	// true true <nil>
	// hasher: default "oldsystem" is verify-only and cannot hash new passwords
}

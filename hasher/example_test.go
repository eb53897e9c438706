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
	reg, err := hasher.NewRegistry("usher") // usher-v1: argon2id, OWASP parameters
	if err != nil {
		log.Fatal(err)
	}
	encoded, err := reg.Hash("correct horse battery staple")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.HasPrefix(encoded, "$argon2id$v=19$m=19456,t=2,p=1$"))

	match, rehash, err := reg.Verify("correct horse battery staple", encoded)
	fmt.Println(match, rehash, err)
	match, rehash, err = reg.Verify("wrong", encoded)
	fmt.Println(match, rehash, err)
	// Output:
	// true
	// true false <nil>
	// false false <nil>
}

// A user imported from ASP.NET Core Identity logs in: the stored V3 hash
// verifies, and rehash says to store a usher-v1 hash in its place.
func ExampleRegistry_Verify_migration() {
	reg, err := hasher.NewRegistry("usher-v1")
	if err != nil {
		log.Fatal(err)
	}
	// From ASP.NET Core's PasswordHasherTest.cs: "my password", HMAC-SHA512,
	// 100,000 iterations.
	stored := "AQAAAAIAAYagAAAAEAABAgMEBQYHCAkKCwwNDg/Q8A0WMKbtHQJQ2DHCdoEeeFBrgNlldq6vH4qX/CGqGQ=="
	h, _ := reg.Identify(stored)
	fmt.Println("format:", h.Name())

	match, rehash, err := reg.Verify("my password", stored)
	if err != nil {
		log.Fatal(err)
	}
	if match && rehash {
		stored, err = reg.Hash("my password")
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

// plainSHA is a caller's hasher for a format of an old system, registered
// with WithHasher so that its users can log in and be migrated.
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

// Register a hasher for a format Usher does not know.
func ExampleWithHasher() {
	builtin, err := hasher.NewRegistry("usher")
	if err != nil {
		log.Fatal(err)
	}
	ssha, _ := builtin.Lookup("ldap-ssha")

	reg, err := hasher.NewRegistry("usher", hasher.WithHasher(plainSHA{inner: ssha}))
	if err != nil {
		log.Fatal(err)
	}
	// passlib's {SSHA} test vector for "secret", behind the old prefix.
	match, rehash, err := reg.Verify("secret", "old:{SSHA}0H+zTv8o4MR4H43n03eCsvw1luG8LdB7")
	fmt.Println(match, rehash, err)
	// Output: true true <nil>
}

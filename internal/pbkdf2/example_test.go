package pbkdf2_test

import (
	"context"
	"crypto/sha1"
	"fmt"
	"log"

	"github.com/usher-sdk/usher/internal/pbkdf2"
)

// RFC 6070's second test vector: PBKDF2-HMAC-SHA1, 2 iterations.
func ExampleKey() {
	key, err := pbkdf2.Key(context.Background(), sha1.New, "password", []byte("salt"), 2, 20)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%x\n", key)
	// Output: ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957
}

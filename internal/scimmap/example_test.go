package scimmap_test

import (
	"fmt"

	"github.com/usher-sdk/usher/internal/scimmap"
	"github.com/usher-sdk/usher/userstore"
)

func ExampleUserFromSCIM() {
	var u userstore.User
	err := scimmap.UserFromSCIM(map[string]any{
		"userName": "jdoe",
		"active":   false,
		"emails":   []any{map[string]any{"value": "jdoe@example.com", "type": "work", "primary": true}},
	}, &u)
	fmt.Println(u.Username, u.Email, u.Enabled, err)
	fmt.Println(scimmap.ETag(3))
	// Output:
	// jdoe jdoe@example.com false <nil>
	// W/"3"
}

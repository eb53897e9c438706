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

func ExampleGroupToSCIM() {
	g := userstore.Group{ID: "5f0c8e1d2a3b4c5d6e7f80910a1b2c3d", Name: "Staff", Version: 2}
	r := scimmap.GroupToSCIM(g, []string{"u1"})
	fmt.Println(r["id"], r["displayName"], r["meta"].(map[string]any)["version"])
	// Output:
	// 5f0c8e1d2a3b4c5d6e7f80910a1b2c3d Staff W/"2"
}

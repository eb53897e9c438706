package scimmap_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/usher-sdk/usher/internal/scimmap"
	"github.com/usher-sdk/usher/userstore"
)

// FuzzUserFromSCIM reads arbitrary JSON objects as SCIM users: it never
// panics, leaves the user unchanged on error, and what it reads survives a
// round trip through UserToSCIM.
func FuzzUserFromSCIM(f *testing.F) {
	for _, s := range []string{
		`{"userName":"a","emails":[{"value":"x","primary":true}],"active":"False"}`,
		`{"userName":"b","name":{"givenName":"g","middleName":"m"},"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":"m1"}}`,
		`{"userName":5}`, `{"emails":[1]}`, `{"phoneNumbers":[{"value":"1","primary":"yes"}]}`, `{}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var m map[string]any
		if json.Unmarshal([]byte(in), &m) != nil {
			return
		}
		start := userstore.User{ID: "u1", Version: 2, Attributes: map[string]string{"custom": "c"}}
		u := start
		if err := scimmap.UserFromSCIM(m, &u); err != nil {
			if !reflect.DeepEqual(start, u) {
				t.Fatalf("changed on error: %+v", u)
			}
			return
		}
		raw, err := json.Marshal(scimmap.UserToSCIM(u))
		if err != nil {
			t.Fatal(err)
		}
		var back map[string]any
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Fatal(err)
		}
		again := start
		if err := scimmap.UserFromSCIM(back, &again); err != nil {
			t.Fatalf("round trip refused: %v", err)
		}
		if !reflect.DeepEqual(u, again) {
			t.Fatalf("round trip differs:\n%+v\n%+v", u, again)
		}
	})
}

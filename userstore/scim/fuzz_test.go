package scim_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
	"github.com/usher-sdk/usher/userstore/scim"
)

// fuzzFixture is a handler over a fresh memstore with one user in one group.
type fuzzFixture struct {
	h     http.Handler
	store *memstore.Store
	user  userstore.User
}

func newFuzzFixture(t testing.TB) fuzzFixture {
	store := memstore.New()
	h, err := scim.NewHandler(store, scim.Config{MaxBodyBytes: 64 << 10}, scim.WithTokenVerifier(scim.NewStaticTokens(testToken)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	u, err := store.CreateUser(ctx, userstore.User{Username: "alice", Email: "alice@example.com", Enabled: true, Source: "scim", ExternalID: "e1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateGroup(ctx, userstore.Group{Name: "staff"}); err != nil {
		t.Fatal(err)
	}
	if err := store.AddMember(ctx, "staff", u.ID); err != nil {
		t.Fatal(err)
	}
	return fuzzFixture{h: h, store: store, user: u}
}

func (f fuzzFixture) serve(method, target, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testToken)
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec
}

// checkResponse fails on a server error or a body that is not JSON.
func checkResponse(t *testing.T, rec *httptest.ResponseRecorder, input string) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("status %d for %q: %s", rec.Code, input, rec.Body)
	}
	if rec.Body.Len() > 0 && !json.Valid(rec.Body.Bytes()) {
		t.Fatalf("body is not JSON for %q: %s", input, rec.Body)
	}
}

// FuzzFilter sends arbitrary filters to /Users and /Groups: the answer is a
// list (200) or a SCIM error (400), never a server error.
func FuzzFilter(f *testing.F) {
	for _, s := range []string{
		`userName eq "alice"`, `externalId eq "e1"`, `displayName eq "staff"`,
		`userName eq "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee"`,
		`emails[type eq "work" and value co "@example.com"]`, `name.familyName sw "A" or active eq true`,
		`meta.lastModified gt "2011-05-13T04:42:34Z"`, `not (userName pr)`, `members[value eq "x"]`,
		`userName eq`, `(`, `"`, `userName eq "\u0000"`, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "x"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, filter string) {
		fx := newFuzzFixture(t)
		for _, ep := range []string{"/Users", "/Groups"} {
			rec := fx.serve(http.MethodGet, ep+"?filter="+url.QueryEscape(filter), "")
			checkResponse(t, rec, filter)
			if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest {
				t.Fatalf("status %d for filter %q", rec.Code, filter)
			}
		}
	})
}

// FuzzPatch sends arbitrary PATCH bodies to a user and a group: the answer
// is never a server error, and a refused one changes nothing.
func FuzzPatch(f *testing.F) {
	for _, s := range []string{
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"updatedEmail@microsoft.com"},{"op":"Replace","path":"name.familyName","value":"updatedFamilyName"}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":false}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"$ref":null,"value":"x"}]}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"x\"]"}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"R&D"}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"emails[type eq \"work\"]"}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"phoneNumbers[type eq \"mobile\"].value","value":"+1"}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]}`,
		`{"Operations":[{"op":"replace","path":"userName","value":"x"}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"displayName","value":"renamed"}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"displayName","value":"renamed"},{"op":"add","path":"members","value":[{"value":"nobody"}]}]}`,
		`[]`, `{`, ``,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		fx := newFuzzFixture(t)
		ctx := context.Background()
		staff, err := fx.store.GetGroup(ctx, "staff")
		if err != nil {
			t.Fatal(err)
		}
		for _, target := range []string{"/Users/" + fx.user.ID, "/Groups/" + staff.ID} {
			before, err := fx.store.GetUser(ctx, fx.user.ID)
			if err != nil {
				t.Fatal(err)
			}
			group, err := fx.store.GetGroupByID(ctx, staff.ID)
			if err != nil {
				t.Fatal(err)
			}
			rec := fx.serve(http.MethodPatch, target, body)
			checkResponse(t, rec, body)
			if rec.Code == http.StatusOK || rec.Code == http.StatusNoContent {
				continue
			}
			after, err := fx.store.GetUser(ctx, fx.user.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(before, after) {
				t.Fatalf("refused patch (%d) of %s changed the user: %+v -> %+v", rec.Code, target, before, after)
			}
			groupAfter, err := fx.store.GetGroupByID(ctx, staff.ID)
			if err != nil || !reflect.DeepEqual(group, groupAfter) {
				t.Fatalf("refused patch (%d) of %s changed the group: %v", rec.Code, target, err)
			}
			var n int
			for _, err := range fx.store.ListMembers(ctx, groupAfter.Name) {
				if err != nil {
					t.Fatal(err)
				}
				n++
			}
			if n != 1 {
				t.Fatalf("refused patch (%d) of %s changed the members: %d", rec.Code, target, n)
			}
		}
	})
}

// FuzzAttributes sends arbitrary attributes and excludedAttributes lists:
// the answer is the resource or list (200) or a SCIM error (400), never a
// server error, and the store is not changed.
func FuzzAttributes(f *testing.F) {
	for _, s := range []string{
		"userName", "name.givenName,emails.value", "members", "members.value", "urn:ietf:params:scim:schemas:core:2.0:User:userName",
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
		"", ",", "..", "a.b.c.d", "emails..value", "\x00", "ÜSERNAME",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, list string) {
		fx := newFuzzFixture(t)
		before, _ := fx.store.GetUser(context.Background(), fx.user.ID)
		for _, param := range []string{"attributes", "excludedAttributes"} {
			for _, target := range []string{"/Users", "/Users/" + fx.user.ID, "/Groups", "/Groups/staff"} {
				rec := fx.serve(http.MethodGet, target+"?"+param+"="+url.QueryEscape(list), "")
				checkResponse(t, rec, list)
				if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest {
					t.Fatalf("status %d for %s=%q on %s", rec.Code, param, list, target)
				}
			}
		}
		after, _ := fx.store.GetUser(context.Background(), fx.user.ID)
		if !reflect.DeepEqual(before, after) {
			t.Fatalf("a GET changed the user")
		}
	})
}

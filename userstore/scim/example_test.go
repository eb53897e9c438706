package scim_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
	"github.com/usher-sdk/usher/userstore/scim"
)

func ExampleNewHandler() {
	store := memstore.New()
	defer store.Close()
	h, err := scim.NewHandler(store, scim.Config{}, scim.WithTokenVerifier(scim.NewStaticTokens("s3cret")))
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", h))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/scim/v2/Users", strings.NewReader(
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"jdoe","externalId":"e-1"}`))
	req.Header.Set("Authorization", "Bearer s3cret")
	req.Header.Set("Content-Type", "application/scim+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	fmt.Println(res.StatusCode, res.Header.Get("ETag"))

	u, _ := store.GetUserByUsername(req.Context(), "jdoe")
	fmt.Println(u.Source, u.ExternalID, u.Enabled)
	// Output:
	// 201 W/"1"
	// scim e-1 true
}

// Entra ID renames a group with a PATCH of displayName on the group's id,
// which is the group's stable userstore ID: the group keeps its id and its
// members.
func ExampleNewHandler_renameGroup() {
	ctx := context.Background()
	store := memstore.New()
	defer store.Close()
	h, err := scim.NewHandler(store, scim.Config{}, scim.WithTokenVerifier(scim.NewStaticTokens("s3cret")))
	if err != nil {
		panic(err)
	}
	ann, _ := store.CreateUser(ctx, userstore.User{Username: "ann", Enabled: true})
	g, _ := store.CreateGroup(ctx, userstore.Group{Name: "Sales"})
	_ = store.AddMember(ctx, "Sales", ann.ID)

	req := httptest.NewRequest(http.MethodPatch, "/Groups/"+g.ID, strings.NewReader(
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"displayName","value":"Sales EMEA"}]}`))
	req.Header.Set("Authorization", "Bearer s3cret")
	req.Header.Set("Content-Type", "application/scim+json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code)

	renamed, _ := store.GetGroupByID(ctx, g.ID)
	members := 0
	for range store.ListMembers(ctx, renamed.Name) {
		members++
	}
	fmt.Println(renamed.Name, renamed.Version, members)
	// Output:
	// 204
	// Sales EMEA 2 1
}

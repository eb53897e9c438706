package scim_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

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

package graphtest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/usher-sdk/usher/directory/graph/graphtest"
)

// A downstream unit test talks to the fake as it would to Microsoft
// Graph: client credentials at the tenant's token endpoint, then the
// Graph API under BaseURL. Throttle makes the next answers 429 with
// Retry-After, to test a client's back-off.
func ExampleNewServer() {
	srv := graphtest.NewServer(graphtest.Config{TenantID: "contoso", ClientID: "app", ClientSecret: "s3cret"})
	defer srv.Close()
	srv.PutUser(graphtest.User{ID: "11111111-1111-1111-1111-111111111111", DisplayName: "Adele Vance",
		UserPrincipalName: "adele@contoso.test", AccountEnabled: true})

	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, srv.Client())
	cc := clientcredentials.Config{ClientID: "app", ClientSecret: "s3cret", TokenURL: srv.TokenURL(),
		Scopes: []string{"https://graph.microsoft.com/.default"}}
	client := cc.Client(ctx)

	get := func() {
		resp, err := client.Get(srv.BaseURL() + "/users?$select=id,displayName")
		if err != nil {
			fmt.Println(err)
			return
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			fmt.Println(resp.StatusCode, "retry after", ra)
			return
		}
		fmt.Println(resp.StatusCode)
	}
	get()
	srv.Throttle(1, http.StatusTooManyRequests, "2")
	get()
	get()
	fmt.Println(len(srv.Requests()) > 0)
	// Output:
	// 200
	// 429 retry after 2
	// 200
	// true
}

package graph_test

import (
	"context"
	"fmt"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/directory/graph"
	"github.com/usher-sdk/usher/directory/graph/graphtest"
)

// Example runs the Azure AD source against the fake Graph server; against
// Azure AD, leave BaseURL and TokenURL empty.
func Example() {
	srv := graphtest.NewServer(graphtest.Config{TenantID: "contoso", ClientID: "app", ClientSecret: "s3cret", MaxPageSize: 2})
	defer srv.Close()
	srv.PutUser(graphtest.User{ID: "11111111-1111-1111-1111-111111111111", DisplayName: "Adele Vance",
		UserPrincipalName: "adele@contoso.test", OtherMails: []string{"adele@home.test"}, Department: "Retail", AccountEnabled: true})
	srv.PutUser(graphtest.User{ID: "22222222-2222-2222-2222-222222222222", DisplayName: "Alex Wilber",
		UserPrincipalName: "alex@contoso.test", Department: "Marketing", AccountEnabled: true})
	srv.PutUser(graphtest.User{ID: "33333333-3333-3333-3333-333333333333", DisplayName: "Megan Bowen",
		UserPrincipalName: "megan@contoso.test", Department: "Marketing", AccountEnabled: false})
	srv.SetGroup("staff", "11111111-1111-1111-1111-111111111111", "marketing")
	srv.SetGroup("marketing", "22222222-2222-2222-2222-222222222222", "33333333-3333-3333-3333-333333333333")

	src, err := graph.New(graph.Config{
		TenantID: "contoso", ClientID: "app", ClientSecret: "s3cret",
		GroupID: "staff", // transitive members of this security group
		BaseURL: srv.BaseURL(), TokenURL: srv.TokenURL(),
	}, graph.WithHTTPClient(srv.Client()))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	for e, err := range src.Users(ctx) {
		if err != nil {
			panic(err)
		}
		fmt.Println(e.Username, e.FullName, e.Groups, e.Enabled)
	}

	// Changes: the first round lists everyone, and its last element
	// carries a deltaLink to resume from once every entry is applied.
	var cursor string
	for c, err := range src.Changes(ctx, "") {
		if err != nil {
			panic(err)
		}
		cursor = c.Cursor
	}
	srv.DeleteUser("22222222-2222-2222-2222-222222222222")
	for c, err := range src.Changes(ctx, cursor) {
		if err != nil {
			panic(err)
		}
		if c.Entry != nil {
			fmt.Println("removed:", c.Entry.ExternalID, c.Entry.Raw["@removed"], c.Entry.Enabled)
		}
	}

	// Graph cannot check passwords: the source lacks the capability.
	_, checks := any(src).(directory.PasswordSource)
	fmt.Println("checks passwords:", checks)
	// Output:
	// adele@contoso.test Adele Vance [Retail] true
	// alex@contoso.test Alex Wilber [Marketing] true
	// megan@contoso.test Megan Bowen [Marketing] false
	// removed: 22222222-2222-2222-2222-222222222222 [changed] false
	// checks passwords: false
}

package graph_test

import (
	"context"
	"testing"

	"github.com/usher-sdk/usher/directory/graph"
	"github.com/usher-sdk/usher/directory/graph/graphtest"
)

// BenchmarkUsers streams 5,000 users in pages of 999 from the fake server.
func BenchmarkUsers(b *testing.B) {
	srv := graphtest.NewServer(graphtest.Config{MaxPageSize: 999})
	defer srv.Close()
	for n := 1; n <= 5000; n++ {
		srv.PutUser(user(n))
	}
	c := srv.Config()
	src, err := graph.New(graph.Config{TenantID: c.TenantID, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		BaseURL: srv.BaseURL(), TokenURL: srv.TokenURL()}, graph.WithHTTPClient(srv.Client()))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for _, err := range src.Users(context.Background()) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != 5000 {
			b.Fatal(n)
		}
	}
}

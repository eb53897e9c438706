package syncapi_test

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/directory/syncapi"
	"github.com/usher-sdk/usher/userstore/memstore"
)

// keysOf is a Keys that knows one organization's key.
type keysOf struct {
	org string
	key crypto.PublicKey
}

func (k keysOf) RegisterKey(context.Context, string, []byte) (bool, error) {
	return false, syncapi.ErrOtherKey
}

func (k keysOf) OrganizationKey(_ context.Context, org string) (crypto.PublicKey, error) {
	if org != k.org {
		return nil, syncapi.ErrUnknownOrganization
	}
	return k.key, nil
}

// A server mounts the handler behind its own authentication; an agent
// syncs to it through a Client as to a local store.
func Example() {
	ctx := context.Background()
	signer, _ := directory.NewRecordSigner(exampleKey())

	// The server's side.
	store := memstore.New()
	defer store.Close()
	h, err := syncapi.NewHandler(keysOf{"acme", signer.Public()}, store)
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/sync/", http.StripPrefix("/api/sync", h)) // behind the server's token check
	srv := httptest.NewServer(mux)
	defer srv.Close()

	// The agent's side.
	target := &syncapi.Client{BaseURL: srv.URL + "/api/sync", Token: "the server's access token", Organization: "acme"}
	src := &source{entries: entries(3)}
	plan, res, err := directory.Sync(ctx, src, target, signer, directory.PlanOptions{}, directory.ApplyOptions{OrgID: "acme"})
	if err != nil || res.Err() != nil {
		panic(fmt.Sprint(err, res.Err()))
	}
	fmt.Println("added", plan.Count(directory.SyncAdd))
	u, _ := store.GetUserByUsername(ctx, "user1")
	fmt.Println(u.Username, u.Source, u.Enabled)
	// Output:
	// added 3
	// user1 ldap true
}

func exampleKey() crypto.PrivateKey {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

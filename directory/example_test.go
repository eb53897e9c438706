package directory_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/directory/csv"
	"github.com/usher-sdk/usher/userstore/memstore"
)

// A signed one-way sync from a CSV file into a user store: plan, look at
// the plan (a dry run stops here), apply, and plan again to see that
// nothing is left to do.
func ExamplePlanSync() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "usher-example")
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "users.csv")
	_ = os.WriteFile(file, []byte("Username,Full name,Email,Phone,Password,Teams,Enabled\n"+
		"ada,Ada Lovelace,ada@example.test,,,engineering,yes\n"+
		"bob,Bob Example,bob@example.test,,,,no\n"), 0o600)
	src, err := csv.Open(csv.Config{Name: "hr", Path: file})
	if err != nil {
		log.Fatal(err)
	}

	// The organization's key pair: the private key signs, the target
	// verifies with the public key.
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := directory.NewRecordSigner(priv)
	verifier, _ := directory.NewRecordVerifier(pub)
	store := memstore.New()
	defer store.Close()
	target, _ := directory.NewStoreTarget(store, verifier)

	plan, err := directory.PlanSync(ctx, src, target, directory.PlanOptions{})
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range plan.Changes {
		fmt.Println(c.Kind, c.Record.Username, "enabled:", c.Record.Enabled)
	}
	res, err := directory.ApplySync(ctx, plan, target, signer, directory.ApplyOptions{OrgID: "org-1"})
	if err != nil || res.Err() != nil {
		log.Fatal(err, res.Err())
	}
	u, _ := store.GetUserByUsername(ctx, "ada")
	fmt.Println(u.Email, u.Groups, u.Attributes[directory.AttrSignature] != "")

	again, _ := directory.PlanSync(ctx, src, target, directory.PlanOptions{})
	fmt.Println("pending:", len(again.Pending()))
	// Output:
	// add ada enabled: true
	// add bob enabled: false
	// ada@example.test [engineering] true
	// pending: 0
}

// Logs name users by identifier; LookupIdentifier finds who it was.
func ExampleIdentifier() {
	fmt.Println(directory.Identifier("org-1", "Ada@Example.test") == directory.Identifier("org-1", "ada@example.test"))
	fmt.Println(len(directory.Identifier("org-1", "ada@example.test")))
	// Output:
	// true
	// 64
}

//go:build ignore

// make.go wrote the databases in this folder with the release before the
// shared database package (commit 0883e75), whose sqlstore kept its own
// migration history in usher_schema_migrations. It no longer compiles
// against this tree and is kept to say how the files were made:
//
//	git worktree add /tmp/legacy 0883e75
//	cp make.go /tmp/legacy/userstore/sqlstore/testdata/legacy/
//	cd /tmp/legacy && go run ./userstore/sqlstore/testdata/legacy/make.go -sqlite v1.db
//	./scripts/testservers.sh sh -c 'go run ./userstore/sqlstore/testdata/legacy/make.go -postgres "$USHER_TEST_POSTGRES_DSN" &&
//	    pg_dump --inserts --no-owner --no-privileges -d "$USHER_TEST_POSTGRES_DSN" > v1.postgres.sql'
//
// upgrade_test.go checks every value written here.
package main

import (
	"context"
	"flag"
	"log"
	"time"

	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

func main() {
	sqlitePath := flag.String("sqlite", "", "SQLite file to write")
	pgDSN := flag.String("postgres", "", "PostgreSQL database to fill")
	flag.Parse()
	ctx := context.Background()
	clock := func() time.Time { return time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC) }
	for _, realm := range []string{sqlstore.DefaultRealm, "staff"} {
		opts := []sqlstore.Option{sqlstore.WithRealm(realm), sqlstore.WithClock(clock)}
		var s *sqlstore.Store
		var err error
		if *sqlitePath != "" {
			s, err = sqlstore.OpenSQLite(ctx, *sqlitePath, opts...)
		} else {
			s, err = sqlstore.OpenPostgres(ctx, *pgDSN, opts...)
		}
		check(err)
		fill(ctx, s, realm)
		check(s.Close())
	}
}

func fill(ctx context.Context, s *sqlstore.Store, realm string) {
	alice, err := s.CreateUser(ctx, userstore.User{
		Username: "alice", Email: "Alice@Example.test", EmailVerified: true, Phone: "+41 79 000 00 00",
		DisplayName: "Alice Ämmer (" + realm + ")", GivenName: "Alice", FamilyName: "Ämmer", Enabled: true,
		PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		Attributes:   map[string]string{"department": "R&D", "employeeNumber": "42"},
		Source:       "example.test", ExternalID: "guid-alice",
	})
	check(err)
	bob, err := s.CreateUser(ctx, userstore.User{Username: "bob", Email: "bob@example.test", Enabled: false,
		PasswordHash: "AQAAAAIAAYagAAAAEAAAAAAAAAAAAAAAAAAAAAA=", MustChangePassword: true})
	check(err)
	_, err = s.CreateGroup(ctx, userstore.Group{Name: "Staff", Description: "everyone", Metadata: map[string]string{"k": "v"}})
	check(err)
	check(s.SetUserGroups(ctx, alice.ID, []string{"Staff", "admins"}))
	check(s.AddMember(ctx, "Staff", bob.ID))
	_, err = s.RecordFailedLogin(ctx, bob.ID, 5, 15*time.Minute, time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC))
	check(err)
	check(s.PutToken(ctx, userstore.Token{Kind: userstore.ResetTokenKind, UserID: alice.ID, Hash: "token-hash-" + realm,
		Data: []byte{1, 2, 3}, CreatedAt: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC),
		ExpiresAt: time.Date(2036, 11, 20, 12, 0, 0, 0, time.UTC)}, false))
	check(s.AppendAudit(ctx, userstore.AuditEvent{Kind: userstore.AuditLoginFailed, UserID: bob.ID, Login: "bob",
		Remote: "192.0.2.1", Reason: "wrong password", Detail: map[string]string{"n": "1"}}))
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

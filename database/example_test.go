package database_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"testing/fstest"

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

// An application opens its database once and builds every store on it:
// here two user pools and the application's own table, all migrated in one
// step and recorded in one version table.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "usher-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	db, err := database.Open(ctx, "sqlite:"+filepath.Join(dir, "usher.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close() // deferred first, so it runs after the stores close

	// The application keeps a table of its own beside Usher's, migrated
	// by the same mechanism (usually from an embed.FS).
	app := database.Component{Name: "myapp", Migrations: fstest.MapFS{
		"sqlite/0001_notes.sql":   {Data: []byte("CREATE TABLE myapp_notes (user_id TEXT NOT NULL, note TEXT NOT NULL);\n")},
		"postgres/0001_notes.sql": {Data: []byte("CREATE TABLE myapp_notes (user_id TEXT NOT NULL, note TEXT NOT NULL);\n")},
	}}
	if err := db.Migrate(ctx, sqlstore.Component(), app); err != nil {
		log.Fatal(err)
	}

	staff, err := sqlstore.New(ctx, db, sqlstore.WithRealm("staff"), sqlstore.WithoutMigrations())
	if err != nil {
		log.Fatal(err)
	}
	defer staff.Close()
	customers, err := sqlstore.New(ctx, db, sqlstore.WithRealm("customers"), sqlstore.WithoutMigrations())
	if err != nil {
		log.Fatal(err)
	}
	defer customers.Close()

	alice, err := staff.CreateUser(ctx, userstore.User{Username: "alice", Enabled: true})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := customers.CreateUser(ctx, userstore.User{Username: "alice", Enabled: true}); err != nil {
		log.Fatal(err) // another realm: the same username is free
	}
	if _, err := db.SQL().ExecContext(ctx, `INSERT INTO myapp_notes (user_id, note) VALUES ($1, $2)`, alice.ID, "welcome"); err != nil {
		log.Fatal(err)
	}

	rows, err := db.SQL().QueryContext(ctx, `SELECT component, version FROM usher_migrations ORDER BY component, version`)
	if err != nil {
		log.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var c string
		var v int
		if err := rows.Scan(&c, &v); err != nil {
			log.Fatal(err)
		}
		fmt.Println(c, v)
	}
	// Output:
	// core 1
	// myapp 1
	// userstore 1
	// userstore 2
	// userstore 3
	// userstore 4
	// userstore 5
	// userstore 6
	// userstore 7
}

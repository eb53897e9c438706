package sqlstore

import "embed"

// migrationFS holds the userstore component's migrations, one folder per
// dialect; Component hands them to database.DB.Migrate.
//
//go:embed migrations
var migrationFS embed.FS

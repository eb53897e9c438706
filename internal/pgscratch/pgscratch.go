// Package pgscratch makes throw-away PostgreSQL databases for tests and
// benchmark programs: a fresh, empty database on the server of an admin
// DSN, dropped when done, so that runs never see each other's data nor
// touch the admin database's.
package pgscratch

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

var prefixRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,20}$`)

// New creates an empty database named prefix followed by random hex on
// the server that adminDSN (a postgres:// URL) reaches, and returns its
// DSN and a function that drops it (forcing other connections off).
func New(ctx context.Context, adminDSN, prefix string) (string, func(), error) {
	if !prefixRE.MatchString(prefix) {
		return "", nil, fmt.Errorf("pgscratch: prefix %q: want a lower-case identifier", prefix)
	}
	u, err := url.Parse(adminDSN)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", nil, errors.New("pgscratch: the admin DSN is not a postgres:// URL")
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, err
	}
	name := prefix + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", adminDSN)
	if err != nil {
		return "", nil, err
	}
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		_ = admin.Close()
		return "", nil, fmt.Errorf("pgscratch: create database: %w", err)
	}
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		_ = admin.Close()
	}
	u.Path = "/" + name
	return u.String(), drop, nil
}

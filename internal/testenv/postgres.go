package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// Postgres returns the DSN of the private PostgreSQL's administrative
// database, or skips (fails in CI) when it is not running.
func Postgres(tb testing.TB) string {
	tb.Helper()
	return Need(tb, EnvPostgresDSN, "the private PostgreSQL server")
}

// PostgresDB creates a fresh, empty database on the private PostgreSQL for
// this test, drops it when the test ends, and returns its DSN. Tests that
// use it can run in parallel without seeing each other's data.
func PostgresDB(tb testing.TB) string {
	tb.Helper()
	admin := Postgres(tb)
	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatalf("testenv: bad %s: %v", EnvPostgresDSN, err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "t_" + hex.EncodeToString(b[:])

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", admin)
	if err != nil {
		tb.Fatalf("testenv: open postgres: %v", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("testenv: create database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		db, err := sql.Open("pgx", admin)
		if err != nil {
			return
		}
		defer db.Close()
		_, _ = db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u.Path = "/" + name
	return u.String()
}

package testenv_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/internal/testenv"
)

// TestLDAPBindAndSearch proves the private slapd answers: the administrator
// binds and finds the suffix entry.
func TestLDAPBindAndSearch(t *testing.T) {
	t.Parallel()
	srv := testenv.LDAP(t)
	conn, err := ldap.DialURL(srv.URL, ldap.DialWithDialer(nil))
	require.NoError(t, err)
	defer conn.Close()
	conn.SetTimeout(10 * time.Second)
	require.NoError(t, conn.Bind(srv.BindDN, srv.BindPassword))

	res, err := conn.Search(ldap.NewSearchRequest(srv.BaseDN, ldap.ScopeBaseObject, ldap.NeverDerefAliases,
		0, 10, false, "(objectClass=*)", []string{"dc"}, nil))
	require.NoError(t, err)
	require.Len(t, res.Entries, 1)
	assert.Equal(t, "usher", res.Entries[0].GetAttributeValue("dc"))

	err = conn.Bind(srv.BindDN, "wrong password")
	assert.True(t, ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials), "wrong password: %v", err)
}

// TestPostgresConnectAndQuery proves the private PostgreSQL answers and that
// PostgresDB gives each test a database of its own.
func TestPostgresConnectAndQuery(t *testing.T) {
	t.Parallel()
	dsn := testenv.PostgresDB(t)
	db, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	var version string
	require.NoError(t, db.QueryRowContext(ctx, "SHOW server_version").Scan(&version))
	assert.NotEmpty(t, version)

	_, err = db.ExecContext(ctx, "CREATE TABLE probe (n int)")
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, "INSERT INTO probe VALUES (1), (2)")
	require.NoError(t, err)
	var sum int
	require.NoError(t, db.QueryRowContext(ctx, "SELECT sum(n) FROM probe").Scan(&sum))
	assert.Equal(t, 3, sum)
}

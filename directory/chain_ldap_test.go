package directory_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/directory/ldap"
	"github.com/usher-sdk/usher/internal/testenv"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
)

// The lookup chain and a sync against the private OpenLDAP of `make test`,
// whose test directory ldapseed writes: a source scoped to the members of
// cn=engineering (nested: cn=platform) under ou=people.
func TestChainAndSyncAgainstOpenLDAP(t *testing.T) {
	srv := testenv.LDAP(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	src, err := ldap.New(ldap.Config{
		Name: "usher.test", URL: srv.URL, BindDN: srv.BindDN, BindPassword: srv.BindPassword,
		BaseDN:  "ou=people," + srv.BaseDN,
		GroupDN: "cn=engineering,ou=groups," + srv.BaseDN, GroupBaseDN: "ou=groups," + srv.BaseDN,
		Timeout: 20 * time.Second,
	})
	require.NoError(t, err)
	defer src.Close()
	store := memstore.New()
	defer store.Close()
	chain, err := directory.NewChain(store, directory.ChainConfig{Sources: []directory.Source{src}, AutoCreate: true})
	require.NoError(t, err)

	u, err := chain.Authenticate(ctx, "bob", "bob-password")
	require.NoError(t, err, "a member of engineering is found and created")
	require.NotEmpty(t, u.ID)
	stored, err := store.GetUser(ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, "usher.test", stored.Source)
	assert.Equal(t, "bob@usher.test", stored.Email)
	assert.Contains(t, stored.Groups, "engineering")

	_, err = chain.Authenticate(ctx, "zoë.ünal", "zoë-pässword")
	require.NoError(t, err, "nested membership (platform in engineering) counts")

	_, errOutside := chain.Authenticate(ctx, "alice", "alice-password")
	_, errWrong := chain.Authenticate(ctx, "bob", "wrong")
	_, errUnknown := chain.Authenticate(ctx, "nobody", "whatever")
	for _, err := range []error{errOutside, errWrong, errUnknown} {
		require.ErrorIs(t, err, userstore.ErrInvalidCredentials)
		assert.Equal(t, userstore.ErrInvalidCredentials.Error(), err.Error())
	}

	// A sync of the same scope: the users the chain created are matched
	// by external ID (entryUUID), not added twice.
	target, signer := newStoreTarget(t, store)
	p, err := directory.PlanSync(ctx, src, target, directory.PlanOptions{})
	require.NoError(t, err)
	assert.Equal(t, 2, p.SourceUsers)
	assert.Zero(t, p.Count(directory.SyncAdd), "bob and zoë exist already")
	res, err := directory.ApplySync(ctx, p, target, signer, directory.ApplyOptions{OrgID: "org-1"})
	require.NoError(t, err)
	require.NoError(t, res.Err())
	p, err = directory.PlanSync(ctx, src, target, directory.PlanOptions{})
	require.NoError(t, err)
	assert.Empty(t, p.Pending(), "a second sync has nothing to do")
}

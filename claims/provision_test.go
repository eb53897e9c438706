package claims_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/claims"
	"github.com/usher-sdk/usher/internal/oidctest"
	"github.com/usher-sdk/usher/internal/teststores"
	"github.com/usher-sdk/usher/userstore"
	usermail "github.com/usher-sdk/usher/userstore/mail"
)

// outbox is a Mailer that keeps what it is given.
type outbox struct {
	mu   sync.Mutex
	sent []usermail.Message
	fail bool
}

func (o *outbox) Send(_ context.Context, m usermail.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.fail {
		return errors.New("smtp down")
	}
	o.sent = append(o.sent, m)
	return nil
}

func (o *outbox) messages() []usermail.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]usermail.Message(nil), o.sent...)
}

func countUsers(t *testing.T, s userstore.Store) int {
	t.Helper()
	n := 0
	for _, err := range s.ListUsers(ctxT(t), userstore.ListOptions{}) {
		require.NoError(t, err)
		n++
	}
	return n
}

func TestProvision(t *testing.T) {
	t.Parallel()
	for _, sc := range teststores.All() {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			store := sc.Open(t)
			ctx := ctxT(t)
			p := provider(t)
			cfg := config(p)
			cfg.UserInfo = true
			cfg.Mapping.GroupRoles = map[string][]string{"admins": {"admin"}, "staff": {"user"}, "sales": {"seller"}}
			c := newClient(t, p, cfg)
			mails := &outbox{}
			prov, err := claims.NewProvisioner(store, claims.ProvisionConfig{
				SelfRegistration: true, Administrators: "root@example.com, Ops <ops@example.com>",
			}, claims.WithMailer(mails))
			require.NoError(t, err)

			// First sign-in: created with the mapped fields and roles,
			// disabled, administrators told.
			id, err := signIn(t, c, p)
			require.NoError(t, err)
			u, created, err := prov.Provision(ctx, id)
			assert.True(t, created)
			assert.ErrorIs(t, err, claims.ErrInactive)
			assert.Equal(t, "alice", u.Username)
			assert.Equal(t, "alice@example.com", u.Email)
			assert.Equal(t, "Alice", u.GivenName)
			assert.Equal(t, "Liddell", u.FamilyName)
			assert.Equal(t, "alice-sub", u.ExternalID)
			assert.Equal(t, "oidc", u.Source)
			assert.Equal(t, []string{"admin", "user"}, u.Roles)
			assert.False(t, u.Enabled)
			msgs := mails.messages()
			require.Len(t, msgs, 1)
			assert.Equal(t, []string{"root@example.com", "ops@example.com"}, msgs[0].To)
			assert.Contains(t, msgs[0].Text, "alice@example.com")
			assert.Contains(t, msgs[0].Text, "disabled until you enable it")

			// Still inactive at the next sign-in; then an admin enables it.
			id, err = signIn(t, c, p)
			require.NoError(t, err)
			_, created, err = prov.Provision(ctx, id)
			assert.False(t, created)
			assert.ErrorIs(t, err, claims.ErrInactive)
			u, err = store.GetUser(ctx, u.ID)
			require.NoError(t, err)
			u.Enabled = true
			_, err = store.UpdateUser(ctx, u)
			require.NoError(t, err)

			// Moved between groups and renamed at the provider: the next
			// sign-in updates the fields and the roles.
			p.PutUser(oidctest.User{Subject: "alice-sub", IDClaims: map[string]any{"groups": []string{"sales"}},
				Profile: map[string]any{"given_name": "Alicia", "email": "alice@example.com", "preferred_username": "alice"}})
			id, err = signIn(t, c, p)
			require.NoError(t, err)
			u2, created, err := prov.Provision(ctx, id)
			require.NoError(t, err)
			assert.False(t, created)
			assert.Equal(t, u.ID, u2.ID)
			assert.Equal(t, "Alicia", u2.GivenName)
			assert.Equal(t, "Liddell", u2.FamilyName, "a claim that is gone leaves the stored value")
			assert.Equal(t, []string{"seller"}, u2.Roles)
			assert.Len(t, mails.messages(), 1, "administrators are told once")
			assert.Equal(t, 1, countUsers(t, store))

			var kinds []userstore.AuditKind
			for e, err := range store.Audit(ctx, userstore.AuditFilter{UserID: u.ID}) {
				require.NoError(t, err)
				if strings.HasPrefix(string(e.Kind), "claims.") {
					kinds = append(kinds, e.Kind)
					assert.Equal(t, "alice-sub", e.Detail["external_id"])
				}
			}
			assert.ElementsMatch(t, []userstore.AuditKind{claims.AuditUpdated, claims.AuditRefused, claims.AuditRefused, claims.AuditProvisioned}, kinds)
		})
	}
}

func TestProvisionRegistrationClosed(t *testing.T) {
	t.Parallel()
	store := teststores.All()[0].Open(t)
	p := provider(t)
	c := newClient(t, p, config(p))
	prov, err := claims.NewProvisioner(store, claims.ProvisionConfig{})
	require.NoError(t, err)
	id, err := signIn(t, c, p)
	require.NoError(t, err)
	_, _, err = prov.Provision(ctxT(t), id)
	assert.ErrorIs(t, err, claims.ErrRegistrationClosed)
	assert.ErrorIs(t, err, claims.ErrRefused)
	assert.Zero(t, countUsers(t, store))
}

func TestProvisionActiveByDefaultConcurrent(t *testing.T) {
	t.Parallel()
	store := teststores.All()[0].Open(t)
	mails := &outbox{fail: true} // a failing mail does not fail the sign-in
	prov, err := claims.NewProvisioner(store, claims.ProvisionConfig{
		SelfRegistration: true, ActiveByDefault: true, Administrators: "root@example.com",
	}, claims.WithMailer(mails))
	require.NoError(t, err)
	id := claims.Identity{User: userstore.User{Source: "oidc", ExternalID: "x-1", Username: "xavier", Roles: []string{"user"}}}
	var wg sync.WaitGroup
	var mu sync.Mutex
	created := 0
	for range 8 {
		wg.Go(func() {
			u, c, err := prov.Provision(ctxT(t), id)
			if assert.NoError(t, err) {
				assert.True(t, u.Enabled)
			}
			if c {
				mu.Lock()
				created++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 1, created)
	assert.Equal(t, 1, countUsers(t, store))
}

func TestProvisionKeepsRolesWithoutRoleMapping(t *testing.T) {
	t.Parallel()
	store := teststores.All()[0].Open(t)
	ctx := ctxT(t)
	prov, err := claims.NewProvisioner(store, claims.ProvisionConfig{SelfRegistration: true, ActiveByDefault: true})
	require.NoError(t, err)
	id := claims.Identity{User: userstore.User{Source: "oidc", ExternalID: "k-1", Username: "kim"}}
	u, _, err := prov.Provision(ctx, id)
	require.NoError(t, err)
	u.Roles = []string{"auditor"} // given by an administrator
	_, err = store.UpdateUser(ctx, u)
	require.NoError(t, err)
	u, _, err = prov.Provision(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, []string{"auditor"}, u.Roles)
	id.RolesMapped = true
	u, _, err = prov.Provision(ctx, id)
	require.NoError(t, err)
	assert.Empty(t, u.Roles)
}

func TestProvisionerConfig(t *testing.T) {
	t.Parallel()
	_, err := claims.NewProvisioner(nil, claims.ProvisionConfig{Administrators: "root@example.com, not an address"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nil user store")
	assert.Contains(t, err.Error(), `"not an address"`)
	assert.Contains(t, err.Error(), "no Mailer")
}

// TestNothingProvisionedOnRefusal: a refused sign-in never reaches the store.
func TestNothingProvisionedOnRefusal(t *testing.T) {
	t.Parallel()
	for _, bad := range []oidctest.Misbehaviour{{Expired: true}, {UnpublishedKey: true}} {
		store := teststores.All()[0].Open(t)
		prov, err := claims.NewProvisioner(store, claims.ProvisionConfig{SelfRegistration: true, ActiveByDefault: true})
		require.NoError(t, err)
		p := provider(t)
		p.Misbehave(bad)
		c := newClient(t, p, config(p))
		id, err := signIn(t, c, p)
		require.ErrorIs(t, err, claims.ErrRefused)
		_, _, err = prov.Provision(ctxT(t), id)
		require.Error(t, err, "an empty Identity is refused too")
		assert.Zero(t, countUsers(t, store))
	}
}

package directory_test

import (
	"context"
	"errors"
	"iter"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
)

// fakeSource is an in-memory Source: logins map to entries and passwords.
// It models an AD source's scope: a user outside it is unknown.
type fakeSource struct {
	name    string
	mu      sync.Mutex
	users   map[string]fakeUser
	down    bool
	asked   int
	lookups int
}

type fakeUser struct {
	entry    directory.Entry
	password string
}

func newFakeSource(name string) *fakeSource {
	return &fakeSource{name: name, users: map[string]fakeUser{}}
}

func (s *fakeSource) add(login, password string, e directory.Entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.Source = s.name
	s.users[strings.ToLower(login)] = fakeUser{entry: e, password: password}
}

func (s *fakeSource) Name() string { return s.name }

func (s *fakeSource) Lookup(_ context.Context, login string) (directory.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lookups++
	if s.down {
		return directory.Entry{}, directory.ErrUnavailable
	}
	u, ok := s.users[strings.ToLower(login)]
	if !ok {
		return directory.Entry{}, directory.ErrNotFound
	}
	return u.entry, nil
}

func (s *fakeSource) Authenticate(_ context.Context, login, password string) (directory.Entry, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked++
	if s.down {
		return directory.Entry{}, false, directory.ErrUnavailable
	}
	u, ok := s.users[strings.ToLower(login)]
	if !ok || password == "" || u.password != password {
		return directory.Entry{}, false, nil
	}
	return u.entry, true, nil
}

var _ directory.PasswordSource = (*fakeSource)(nil)

// lookupOnlySource is a Source without the PasswordSource capability, as
// the Graph source is: it finds users but cannot check their passwords.
type lookupOnlySource struct{ f *fakeSource }

func (s lookupOnlySource) Name() string { return s.f.Name() }

func (s lookupOnlySource) Lookup(ctx context.Context, login string) (directory.Entry, error) {
	return s.f.Lookup(ctx, login)
}

func (s lookupOnlySource) Users(ctx context.Context) iter.Seq2[directory.Entry, error] {
	return s.f.Users(ctx)
}

func (s *fakeSource) setDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

func (s *fakeSource) Users(context.Context) iter.Seq2[directory.Entry, error] {
	return func(yield func(directory.Entry, error) bool) {
		s.mu.Lock()
		if s.down {
			s.mu.Unlock()
			yield(directory.Entry{}, directory.ErrUnavailable)
			return
		}
		var es []directory.Entry
		for _, u := range s.users {
			es = append(es, u.entry)
		}
		s.mu.Unlock()
		for _, e := range es {
			if !yield(e, nil) {
				return
			}
		}
	}
}

func TestChain(t *testing.T) {
	ctx := context.Background()
	newChain := func(t *testing.T, autoCreate bool) (*directory.Chain, *memstore.Store, *fakeSource, *fakeSource) {
		store := memstore.New()
		t.Cleanup(func() { _ = store.Close() })
		ad := newFakeSource("example.test")
		ad.add("user@other.test", "right", directory.Entry{
			ExternalID: "guid-1", Username: "user@other.test", FullName: "A User",
			CorporateEmail: "user@other.test", PersonalEmail: "u@home.test", Phone: "+41 79 000 00 00",
			Groups: []string{"employees", "staff"}, Roles: []string{"engineer"}, Enabled: true,
		})
		ad.add("gone@example.test", "right", directory.Entry{ExternalID: "guid-2", Username: "gone@example.test", Enabled: false})
		csv := newFakeSource("csv")
		csv.add("user@other.test", "csv-password", directory.Entry{ExternalID: "csv-1", Username: "user@other.test", Enabled: true})
		csv.add("bob", "bob-password", directory.Entry{ExternalID: "bob", Username: "bob", Enabled: true})
		local := func(ctx context.Context, login, password string) (userstore.User, error) {
			u, err := store.GetUserByUsername(ctx, login)
			if err != nil || password != "local-password" {
				return userstore.User{}, userstore.ErrInvalidCredentials
			}
			return u, nil
		}
		c, err := directory.NewChain(store, directory.ChainConfig{
			Sources: []directory.Source{ad, csv}, AutoCreate: autoCreate, Local: local,
		})
		require.NoError(t, err)
		return c, store, ad, csv
	}

	t.Run("found in the first source and created with its groups", func(t *testing.T) {
		c, store, _, _ := newChain(t, true)
		u, err := c.Authenticate(ctx, "user@other.test", "right")
		require.NoError(t, err)
		require.NotEmpty(t, u.ID)
		stored, err := store.GetUserByExternalID(ctx, "example.test", "guid-1")
		require.NoError(t, err)
		assert.Equal(t, u.ID, stored.ID)
		assert.Equal(t, "user@other.test", stored.Email)
		assert.Equal(t, "A User", stored.DisplayName)
		assert.Equal(t, []string{"employees", "staff"}, stored.Groups)
		assert.Equal(t, "engineer", stored.Attributes["roles"])
		assert.Equal(t, "u@home.test", stored.Attributes["personalEmail"])

		// Next time the store knows the user and asks only its source.
		again, err := c.Authenticate(ctx, "USER@other.test", "right")
		require.NoError(t, err)
		assert.Equal(t, u.ID, again.ID)
		_, err = c.Authenticate(ctx, "user@other.test", "csv-password")
		require.ErrorIs(t, err, userstore.ErrInvalidCredentials, "the user's own source decides")
	})

	t.Run("a stored user's refusal takes the trips of an unknown login's", func(t *testing.T) {
		c, _, ad, _ := newChain(t, true)
		_, err := c.Authenticate(ctx, "user@other.test", "right")
		require.NoError(t, err)
		trips := func(login, password string) (asked, lookups int) {
			ad.mu.Lock()
			a0, l0 := ad.asked, ad.lookups
			ad.mu.Unlock()
			_, err := c.Authenticate(ctx, login, password)
			require.ErrorIs(t, err, userstore.ErrInvalidCredentials)
			ad.mu.Lock()
			defer ad.mu.Unlock()
			return ad.asked - a0, ad.lookups - l0
		}
		storedAsked, storedLookups := trips("user@other.test", "wrong")
		unknownAsked, unknownLookups := trips("nobody@other.test", "right")
		assert.Equal(t, 1, storedAsked)
		assert.Equal(t, unknownAsked, storedAsked, "Authenticate calls in the source")
		assert.Equal(t, unknownLookups, storedLookups, "Lookup calls in the source")
	})

	t.Run("the first source that knows the login decides", func(t *testing.T) {
		c, _, ad, csv := newChain(t, true)
		_, err := c.Authenticate(ctx, "user@other.test", "csv-password")
		require.ErrorIs(t, err, userstore.ErrInvalidCredentials)
		assert.Equal(t, 1, ad.asked)
		assert.Equal(t, 0, csv.asked, "a wrong password in the first source is final")

		u, err := c.Authenticate(ctx, "bob", "bob-password")
		require.NoError(t, err, "a login the first source does not know goes on")
		assert.Equal(t, "csv", u.Source)
	})

	t.Run("unknown and wrong password look the same", func(t *testing.T) {
		c, _, ad, csv := newChain(t, true)
		_, errUnknown := c.Authenticate(ctx, "nobody@other.test", "right")
		_, errWrong := c.Authenticate(ctx, "user@other.test", "wrong")
		require.ErrorIs(t, errUnknown, userstore.ErrInvalidCredentials)
		require.ErrorIs(t, errWrong, userstore.ErrInvalidCredentials)
		assert.Equal(t, errUnknown.Error(), errWrong.Error())
		assert.Equal(t, 2, ad.asked, "an unknown login is checked as a wrong one is")
		assert.Equal(t, 1, csv.asked)
	})

	t.Run("refusals", func(t *testing.T) {
		c, store, _, _ := newChain(t, true)
		for _, tc := range []struct{ login, password string }{
			{"gone@example.test", "right"}, // disabled in the source
			{"user@other.test", ""},        // empty password
			{"", "right"},
		} {
			_, err := c.Authenticate(ctx, tc.login, tc.password)
			require.ErrorIs(t, err, userstore.ErrInvalidCredentials, tc.login)
		}
		_, err := store.GetUserByExternalID(ctx, "example.test", "guid-2")
		require.ErrorIs(t, err, userstore.ErrNotFound, "a refused user is not created")
	})

	t.Run("without auto-create nothing is stored", func(t *testing.T) {
		c, store, _, _ := newChain(t, false)
		u, err := c.Authenticate(ctx, "user@other.test", "right")
		require.NoError(t, err)
		assert.Empty(t, u.ID)
		assert.Equal(t, "example.test", u.Source)
		_, err = store.GetUserByExternalID(ctx, "example.test", "guid-1")
		require.ErrorIs(t, err, userstore.ErrNotFound)
	})

	t.Run("local users go to the local login", func(t *testing.T) {
		c, store, ad, _ := newChain(t, true)
		_, err := store.CreateUser(ctx, userstore.User{Username: "admin", Enabled: true})
		require.NoError(t, err)
		_, err = c.Authenticate(ctx, "admin", "local-password")
		require.NoError(t, err)
		_, err = c.Authenticate(ctx, "admin", "right")
		require.ErrorIs(t, err, userstore.ErrInvalidCredentials)
		assert.Equal(t, 0, ad.asked)
	})

	t.Run("a user disabled in the store is refused", func(t *testing.T) {
		c, store, _, _ := newChain(t, true)
		u, err := c.Authenticate(ctx, "user@other.test", "right")
		require.NoError(t, err)
		u, err = store.GetUser(ctx, u.ID)
		require.NoError(t, err)
		u.Enabled = false
		_, err = store.UpdateUser(ctx, u)
		require.NoError(t, err)
		_, err = c.Authenticate(ctx, "user@other.test", "right")
		require.ErrorIs(t, err, userstore.ErrInvalidCredentials)
	})

	t.Run("an unreachable source is an error, not a skip", func(t *testing.T) {
		c, _, ad, csv := newChain(t, true)
		ad.down = true
		_, err := c.Authenticate(ctx, "bob", "bob-password")
		require.ErrorIs(t, err, directory.ErrUnavailable)
		assert.NotErrorIs(t, err, userstore.ErrInvalidCredentials)
		assert.Equal(t, 0, csv.asked)
	})

	t.Run("concurrent first logins create one user", func(t *testing.T) {
		c, store, _, _ := newChain(t, true)
		var wg sync.WaitGroup
		ids := make([]string, 8)
		errs := make([]error, 8)
		for i := range ids {
			wg.Go(func() {
				u, err := c.Authenticate(ctx, "user@other.test", "right")
				ids[i], errs[i] = u.ID, err
			})
		}
		wg.Wait()
		for i := range ids {
			require.NoError(t, errs[i])
			assert.Equal(t, ids[0], ids[i])
		}
		n := 0
		for _, err := range store.ListUsers(ctx, userstore.ListOptions{}) {
			require.NoError(t, err)
			n++
		}
		assert.Equal(t, 1, n)
	})
}

// A source that cannot check passwords refuses every login it knows, and
// a later source does not decide for it.
func TestChainSourceWithoutPasswords(t *testing.T) {
	t.Parallel()
	type fixture struct {
		chain     *directory.Chain
		azure, ad *fakeSource
		locals    int
	}
	newFixture := func(t *testing.T) *fixture {
		store := memstore.New()
		t.Cleanup(func() { _ = store.Close() })
		f := &fixture{azure: newFakeSource("azure"), ad: newFakeSource("example.test")}
		// The directory cannot check passwords, so the passwords given
		// to azure are never compared.
		f.azure.add("adele@contoso.test", "azure-password", directory.Entry{ExternalID: "a-1", Username: "adele@contoso.test", Enabled: true})
		f.azure.add("alex@contoso.test", "azure-password", directory.Entry{ExternalID: "a-2", Username: "alex@contoso.test", Enabled: true})
		f.azure.add("megan@contoso.test", "azure-password", directory.Entry{ExternalID: "a-3", Username: "megan@contoso.test", Enabled: true})
		// A different person under adele's login in the second source.
		f.ad.add("adele@contoso.test", "ad-password", directory.Entry{ExternalID: "guid-1", Username: "adele@contoso.test", Enabled: true})
		f.ad.add("bob", "bob-password", directory.Entry{ExternalID: "guid-2", Username: "bob", Enabled: true})
		for _, u := range []userstore.User{
			{Username: "megan@contoso.test", Source: "azure", ExternalID: "a-3", Enabled: true},
			{Username: "gone@contoso.test", Source: "azure", ExternalID: "a-4", Enabled: true}, // no longer in azure
		} {
			_, err := store.CreateUser(context.Background(), u)
			require.NoError(t, err)
		}
		c, err := directory.NewChain(store, directory.ChainConfig{
			Sources:    []directory.Source{lookupOnlySource{f.azure}, f.ad},
			AutoCreate: true,
			Local: func(context.Context, string, string) (userstore.User, error) {
				f.locals++
				return userstore.User{}, userstore.ErrInvalidCredentials
			},
		})
		require.NoError(t, err)
		f.chain = c
		return f
	}

	cases := []struct {
		name            string
		login, password string
		azureDown       bool
		wantErr         error  // nil: accepted
		wantSource      string // of the accepted user
		// Calls made: Lookups in azure, Authenticate and Lookup in ad.
		azureLookups, adAsked, adLookups int
	}{
		{
			name: "a login only it knows is refused", login: "alex@contoso.test", password: "azure-password",
			wantErr: userstore.ErrInvalidCredentials, azureLookups: 1,
		},
		{
			name: "a later source does not decide for a login it knows", login: "adele@contoso.test", password: "ad-password",
			wantErr: userstore.ErrInvalidCredentials, azureLookups: 1,
		},
		{
			name: "a login it does not know goes on", login: "bob", password: "bob-password",
			wantSource: "example.test", azureLookups: 1, adAsked: 1,
		},
		{
			name: "a wrong password in a later source", login: "bob", password: "wrong",
			wantErr: userstore.ErrInvalidCredentials, azureLookups: 1, adAsked: 1, adLookups: 1,
		},
		{
			name: "an unknown login is checked against every source", login: "nobody@contoso.test", password: "whatever",
			wantErr: userstore.ErrInvalidCredentials, azureLookups: 1, adAsked: 1, adLookups: 1,
		},
		{
			name: "its stored user is refused after a lookup", login: "megan@contoso.test", password: "azure-password",
			wantErr: userstore.ErrInvalidCredentials, azureLookups: 1,
		},
		{
			name: "its stored user it no longer knows is refused alike", login: "gone@contoso.test", password: "azure-password",
			wantErr: userstore.ErrInvalidCredentials, azureLookups: 1,
		},
		{
			name: "unreachable, it is an error and not a skip", login: "bob", password: "bob-password", azureDown: true,
			wantErr: directory.ErrUnavailable, azureLookups: 1,
		},
		{
			name: "unreachable, its stored user gets an error", login: "megan@contoso.test", password: "azure-password", azureDown: true,
			wantErr: directory.ErrUnavailable, azureLookups: 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.azure.setDown(tc.azureDown)
			u, err := f.chain.Authenticate(context.Background(), tc.login, tc.password)
			switch {
			case tc.wantErr == nil:
				require.NoError(t, err)
				assert.Equal(t, tc.wantSource, u.Source)
			case errors.Is(tc.wantErr, userstore.ErrInvalidCredentials):
				// The same answer as any refusal: nothing says whether
				// or where the user exists.
				require.EqualError(t, err, userstore.ErrInvalidCredentials.Error())
				assert.Equal(t, userstore.User{}, u)
			default:
				require.ErrorIs(t, err, tc.wantErr)
				assert.NotErrorIs(t, err, userstore.ErrInvalidCredentials)
			}
			assert.Equal(t, tc.azureLookups, f.azure.lookups, "lookups in azure")
			assert.Zero(t, f.azure.asked, "azure is never asked to check a password")
			assert.Equal(t, tc.adAsked, f.ad.asked, "passwords checked in example.test")
			assert.Equal(t, tc.adLookups, f.ad.lookups, "lookups in example.test")
			assert.Zero(t, f.locals, "no source user goes to the local login")
		})
	}
}

func TestNewChainRefusesBadConfig(t *testing.T) {
	store := memstore.New()
	defer store.Close()
	_, err := directory.NewChain(nil, directory.ChainConfig{})
	require.Error(t, err)
	_, err = directory.NewChain(store, directory.ChainConfig{Sources: []directory.Source{newFakeSource("a"), newFakeSource("a")}})
	require.ErrorContains(t, err, `two sources are named "a"`)
	_, err = directory.NewChain(store, directory.ChainConfig{Sources: []directory.Source{nil}})
	require.Error(t, err)
}

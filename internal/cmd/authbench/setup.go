package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/authrequest/memstore"
	"github.com/usher-sdk/usher/authrequest/outbox"
	"github.com/usher-sdk/usher/authrequest/sqlstore"
	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/internal/pgscratch"
	"github.com/usher-sdk/usher/onboarding"
	obmem "github.com/usher-sdk/usher/onboarding/memstore"
	obsql "github.com/usher-sdk/usher/onboarding/sqlstore"
	"github.com/usher-sdk/usher/userstore"
	usermem "github.com/usher-sdk/usher/userstore/memstore"
	usersql "github.com/usher-sdk/usher/userstore/sqlstore"
)

// users is how many users the requests go to.
const users = 1000

// env is a Manager on one kind of store, with one application.
type env struct {
	m     *authrequest.Manager
	app   string
	users int
	start func(context.Context, authrequest.Sender) error
	close func()
}

// userStore is what the bench needs of a user store.
type userStore interface {
	authrequest.Users
	CreateUser(ctx context.Context, u userstore.User) (userstore.User, error)
}

func setup(ctx context.Context, kind, dsn, dir string, ocfg outbox.Config) (*env, error) {
	var (
		apps interface {
			authrequest.Applications
			authrequest.Devices
			CreateApplication(context.Context, onboarding.Application) (onboarding.Application, error)
		}
		us      userStore
		store   authrequest.Store
		start   func(context.Context, authrequest.Sender) error
		closers []func()
	)
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	switch kind {
	case "memory":
		ms := memstore.New(memstore.WithDelivery(memstore.DeliveryConfig{Workers: cmp.Or(ocfg.Workers, outbox.DefaultWorkers)}))
		apps, us, store, start = obmem.New(), usermem.New(), ms, ms.StartDelivery
		closers = append(closers, func() { _ = ms.Close() })
	case "sqlite", "postgres":
		var db *database.DB
		var err error
		if kind == "sqlite" {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, err
			}
			db, err = database.OpenSQLite(ctx, filepath.Join(dir, "usher.db"))
		} else {
			if dsn == "" {
				return nil, errors.New("-store postgres needs -dsn (or $USHER_TEST_POSTGRES_DSN)")
			}
			var scratch string
			var drop func()
			if scratch, drop, err = pgscratch.New(ctx, dsn, "authbench_"); err != nil {
				return nil, err
			}
			closers = append(closers, drop)
			db, err = database.OpenPostgres(ctx, scratch)
		}
		if err != nil {
			return nil, err
		}
		closers = append(closers, func() { _ = db.Close() })
		ob, err := obsql.New(ctx, db)
		if err != nil {
			closeAll()
			return nil, err
		}
		u, err := usersql.New(ctx, db)
		if err != nil {
			closeAll()
			return nil, err
		}
		closers = append(closers, func() { _ = u.Close() })
		st, err := sqlstore.New(ctx, db, sqlstore.WithOutbox(ocfg))
		if err != nil {
			closeAll()
			return nil, err
		}
		closers = append(closers, func() { _ = st.Close() })
		apps, us, store, start = ob, u, st, st.StartDelivery
	default:
		return nil, fmt.Errorf("-store %q: want sqlite, postgres or memory", kind)
	}
	app, err := apps.CreateApplication(ctx, onboarding.Application{Name: "Bench", Requirements: []onboarding.RequirementSpec{{Kind: onboarding.KindManual}}})
	if err != nil {
		closeAll()
		return nil, err
	}
	for i := range users {
		if _, err := us.CreateUser(ctx, userstore.User{Username: fmt.Sprintf("user%04d", i), Email: fmt.Sprintf("user%04d@example.com", i), Enabled: true}); err != nil {
			closeAll()
			return nil, err
		}
	}
	m, err := authrequest.New(store, apps, apps, authrequest.Config{
		Users: func(context.Context, onboarding.Application) (authrequest.Users, error) { return us, nil }})
	if err != nil {
		closeAll()
		return nil, err
	}
	return &env{m: m, app: app.ID, users: users, start: start, close: closeAll}, nil
}

package activation_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/usher-sdk/usher/activation"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
)

// An administrator's list of activations not yet complete: who has a
// code, since when and until when, and who is setting a password. The
// codes themselves are not stored, so they cannot be listed.
func ExampleManager_Outstanding() {
	ctx := context.Background()
	store := memstore.New()
	defer store.Close()
	for _, name := range []string{"ada", "ben", "cy"} {
		if _, err := store.CreateUser(ctx, userstore.User{Username: name}); err != nil {
			log.Fatal(err)
		}
	}
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	setter := activation.PasswordSetterFunc(func(context.Context, string, string) error { return nil })
	m, err := activation.New(store, []byte("an example key of 32 bytes, 1234"), setter,
		activation.Settings{Enabled: true, ExpiryDays: 7, PasswordSetMinutes: 15}, activation.WithClock(clock))
	if err != nil {
		log.Fatal(err)
	}
	codes := map[string]string{}
	for _, name := range []string{"ada", "ben", "cy"} {
		c, err := m.Create(ctx, name, nil)
		if err != nil {
			log.Fatal(err)
		}
		codes[name] = c.Code
		now = now.Add(time.Hour)
	}
	// ben has used his code and is about to set a password.
	if _, err := m.Activate(ctx, activation.Request{Username: "ben", Code: codes["ben"]}); err != nil {
		log.Fatal(err)
	}

	// Page through the list, two at a time; the zero Cursor ends it.
	var cursor activation.Cursor
	for {
		page, next, err := m.Outstanding(ctx, cursor, 2)
		if err != nil {
			log.Fatal(err)
		}
		for _, o := range page {
			fmt.Printf("%-3s %-12s created %s expires %s", o.Username, o.Stage, o.CreatedAt.Format(time.DateTime), o.ExpiresAt.Format(time.DateOnly))
			if o.Stage == activation.StagePasswordSet {
				fmt.Printf(" password by %s", o.PasswordSetUntil.Format(time.TimeOnly))
			}
			fmt.Println()
		}
		if next.IsZero() {
			break
		}
		cursor = next // or next.String() in a URL, read back with ParseCursor
	}
	// Output:
	// ada code         created 2026-12-01 09:00:00 expires 2026-12-08
	// cy  code         created 2026-12-01 11:00:00 expires 2026-12-08
	// ben password-set created 2026-12-01 10:00:00 expires 2026-12-08 password by 12:15:00
}

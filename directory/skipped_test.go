package directory_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
)

// Entries a store cannot take — no corporate e-mail (every such user would
// get the same identifier), a field over its limit — are skipped by every
// sync path and reported without their values; a user already synced from
// such an entry is kept, not deactivated.
func TestSyncSkipsEntriesItCannotTake(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	huge := strings.Repeat("x", 10<<20)
	cases := []struct {
		name   string
		mutate func(*directory.Entry)
		reason string
		gone   int // users whose entry changed its external ID
	}{
		{"no corporate e-mail", func(e *directory.Entry) { e.CorporateEmail = "" }, "no corporate e-mail", 0},
		{"10 MB full name", func(e *directory.Entry) { e.FullName = huge }, "full name of 10485760 bytes, over the limit of 256", 0},
		{"10 MB phone", func(e *directory.Entry) { e.Phone = huge }, "phone of 10485760 bytes", 0},
		{"too many groups", func(e *directory.Entry) { e.Groups = make([]string, 1001); fill(e.Groups) }, "1001 groups, over the limit of 1000", 0},
		{"a long group", func(e *directory.Entry) { e.Groups = []string{huge} }, "one of its groups has 10485760 bytes", 0},
		{"a long external ID", func(e *directory.Entry) { e.ExternalID = e.Username + huge }, "external ID of 1048576", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newSyncEnv(t, 5)
			e.sync(t, directory.PlanOptions{})
			// user1 changes into something the store cannot take; a new
			// entry does too.
			e.src.mu.Lock()
			u1 := e.src.users["user1"]
			tc.mutate(&u1.entry)
			e.src.users["user1"] = u1
			e.src.mu.Unlock()
			bad := directory.Entry{ExternalID: "guid-new", Username: "newbie", CorporateEmail: "newbie@example.test", Enabled: true}
			tc.mutate(&bad)
			e.src.add("newbie", "pw", bad)

			for name, plan := range map[string]func() (*directory.Plan, error){
				"PlanSync": func() (*directory.Plan, error) {
					return directory.PlanSync(ctx, e.src, e.target, directory.PlanOptions{})
				},
				"Sync": func() (*directory.Plan, error) {
					p, _, err := directory.Sync(ctx, e.src, e.target, e.signer, directory.PlanOptions{}, directory.ApplyOptions{OrgID: "org-1"})
					return p, err
				},
			} {
				p, err := plan()
				require.NoError(t, err, name)
				require.Len(t, p.Skipped, 2, name)
				for _, s := range p.Skipped {
					assert.Contains(t, s.Reason, tc.reason[:min(len(tc.reason), 24)], name)
					assert.LessOrEqual(t, len(s.ExternalID), 64+len("…"), "%s: a value is never echoed whole", name)
				}
				assert.Equal(t, tc.gone, p.Count(directory.SyncDeactivate), "%s: a skipped entry's user is kept", name)
				assert.Zero(t, p.Count(directory.SyncAdd), name)
				assert.Equal(t, 6, p.SourceUsers, "%s: skipped entries still count as the source's", name)
				if tc.gone > 0 {
					break // Sync would carry the deactivation out
				}
			}
			u, err := e.store.GetUserByExternalID(ctx, "ad", "guid-1")
			require.NoError(t, err)
			if tc.gone == 0 {
				assert.True(t, u.Enabled, "kept as it was")
				assert.Equal(t, "User 1", u.DisplayName)
			}
			_, err = e.store.GetUserByUsername(ctx, "newbie")
			assert.Error(t, err, "never created")
		})
	}
}

func fill(s []string) {
	for i := range s {
		s[i] = "g" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + strings.Repeat("y", i/26)
	}
}

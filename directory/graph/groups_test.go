package graph_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/directory/graph"
)

func TestTransitiveGroups(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 3, func(c *graph.Config) { c.PageSize = 2 })
	// 25 groups hold user 1, through nesting for half of them; one does not.
	var want []graph.Group
	for n := 1; n <= 25; n++ {
		gid := fmt.Sprintf("99999999-0000-0000-0000-%012d", n)
		if n%2 == 0 {
			e.srv.SetGroup(gid, fmt.Sprintf("99999999-0000-0000-0000-%012d", n-1))
		} else {
			e.srv.SetGroup(gid, id(1))
		}
		e.srv.SetGroupName(gid, fmt.Sprintf("Group %d", n))
		want = append(want, graph.Group{ID: gid, DisplayName: fmt.Sprintf("Group %d", n)})
	}
	e.srv.SetGroup("99999999-0000-0000-0000-999999999999", id(2))
	ctx := context.Background()

	got, err := e.src.TransitiveGroups(ctx, id(1))
	require.NoError(t, err)
	assert.Equal(t, want, got)
	got, err = e.src.TransitiveGroups(ctx, "user1@example.test")
	require.NoError(t, err)
	assert.Len(t, got, 25)
	got, err = e.src.TransitiveGroups(ctx, id(3))
	require.NoError(t, err)
	assert.Empty(t, got)

	_, err = e.src.TransitiveGroups(ctx, id(404))
	assert.ErrorIs(t, err, directory.ErrNotFound)
	_, err = e.src.TransitiveGroups(ctx, "../users")
	assert.Error(t, err)
	e.srv.FailNext(http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	_, err = e.src.TransitiveGroups(ctx, id(1))
	var gerr *graph.Error
	require.ErrorAs(t, err, &gerr)
	assert.Equal(t, http.StatusForbidden, gerr.Status)
}

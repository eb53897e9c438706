package activation_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/activation"
	"github.com/usher-sdk/usher/userstore"
)

// TestWithAuthenticatorDoc: WithAuthenticator's doc names the adapter to
// use over a userstore.Service and does not say that the Service has the
// method, which it has not.
func TestWithAuthenticatorDoc(t *testing.T) {
	t.Parallel()
	f, err := parser.ParseFile(token.NewFileSet(), "manager.go", nil, parser.ParseComments)
	require.NoError(t, err)
	var text string
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.Name == "WithAuthenticator" {
			text = fn.Doc.Text()
		}
	}
	require.NotEmpty(t, text, "WithAuthenticator has a doc comment in manager.go")

	authenticator := reflect.TypeFor[activation.Authenticator]()
	require.False(t, reflect.TypeFor[*userstore.Service]().Implements(authenticator))
	assert.NotContains(t, text, "userstore.Service has the method")
	assert.Contains(t, text, "ServiceAuthenticator")
	assert.True(t, reflect.TypeFor[*activation.ServiceAuthenticator]().Implements(authenticator))
}

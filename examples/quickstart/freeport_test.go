//go:build unix

package quickstart

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The quick start's free_port picks the receiver's port before the
// receiver listens; a port in the kernel's ephemeral range may be taken
// by an outgoing connection in between (seen in CI: "bind: address already
// in use"), so free_port must stay below that range.
func TestFreePortBelowEphemeralRange(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	script, err := extract(string(readme))
	require.NoError(t, err)
	def := regexp.MustCompile(`(?m)^free_port\(\) \{.*$`).FindString(script)
	require.NotEmpty(t, def, "the quick start defines free_port")
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				low = n
			}
		}
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	out, err := exec.Command(bash, "-c", def+"\nfor i in $(seq 300); do free_port; done").Output()
	require.NoError(t, err)
	for _, f := range strings.Fields(string(out)) {
		p, err := strconv.Atoi(f)
		require.NoError(t, err)
		require.Less(t, p, low, "free_port gave %d, in the ephemeral range from %d", p, low)
		require.GreaterOrEqual(t, p, 1024)
	}
}

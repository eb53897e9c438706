package main

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// status signs nothing: with the public key file beside it, it runs even
// when the private key is readable by others (which sync refuses).
func TestStatusNeedsNoPrivateKey(t *testing.T) {
	t.Parallel()
	h := newHarness(t, staff(3))
	cfg, err := loadConfig(h.config)
	require.NoError(t, err)
	require.NoError(t, os.Chmod(cfg.PrivateKey, 0o644))
	r := h.ok("status")
	assert.Contains(t, r.stdout, "a sync would:")
	r = h.run("sync")
	assert.NotEqual(t, exitOK, r.code, "signing still needs a private key only its owner reads")
	assert.Contains(t, r.stderr, `setting "privateKey"`)
}

// A configuration that holds a secret and that others can read is warned
// about; one without secrets is not.
func TestConfigWithSecretsReadableByOthersIsWarnedAbout(t *testing.T) {
	t.Parallel()
	h := newHarness(t, staff(3))
	require.NoError(t, os.Chmod(h.config, 0o644))
	r := h.ok("status")
	assert.NotContains(t, r.stderr, "warning: config", "no secret in a CSV configuration")

	h.withMail(`{"MailType":"SMTP","Host":"mail.example.test","From":"a@example.test"}`)
	require.NoError(t, os.Chmod(h.config, 0o644))
	r = h.ok("status")
	assert.Contains(t, r.stderr, "holds secrets (mail) and is readable by others (mode 0644); run: chmod 600 "+h.config)
}

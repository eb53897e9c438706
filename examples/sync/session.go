package main

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/userstore"
)

// session is what the verbs that sync work with: the configuration, the
// source, the store and, over it, the sync target.
type session struct {
	cfg    *Config
	log    *slog.Logger
	source directory.Source
	store  userstore.Store // nil with store "server"
	target directory.SyncTarget
	signer *directory.RecordSigner
	close  func()
}

// need says what a verb needs of a session.
type need int

const (
	needStore  need = 1 << iota
	needSource      // implies the configuration only
	needSigner      // the private key, and a target over the store
	// needVerifier is a target over the store that only verifies: the
	// public key file when there is one, so that a verb that signs
	// nothing does not need the private key.
	needVerifier
	// needLocal is a verb that reads the local store itself (lookup,
	// status, email, group): refused when the store is a server.
	needLocal
)

// open loads the configuration at path and opens what n asks for.
func (a *app) open(ctx context.Context, path string, n need, level slog.Level) (*session, error) {
	var verifierKey crypto.PublicKey
	cfg, err := loadConfig(path)
	if err != nil {
		return nil, err
	}
	if w := exposedSecrets(path, cfg); w != "" {
		fmt.Fprintln(a.stderr, "warning:", w)
	}
	if n&needVerifier != 0 {
		if pub, err := readPublicKey(cfg); err == nil && pub != nil {
			n |= needStore
			verifierKey = pub
		} else {
			n |= needSigner // derive it from the private key
		}
	}
	s := &session{cfg: cfg, log: a.logger(level), close: func() {}}
	var closers []func()
	s.close = func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	fail := func(err error) (*session, error) {
		s.close()
		return nil, err
	}
	var verifier *directory.RecordVerifier
	if verifierKey != nil {
		if verifier, err = directory.NewRecordVerifier(verifierKey); err != nil {
			return nil, fmt.Errorf("setting \"publicKey\": %w", err)
		}
	}
	if n&needSigner != 0 {
		key, err := directory.LoadPrivateKey(cfg.PrivateKey)
		if err != nil {
			return fail(fmt.Errorf("setting \"privateKey\": %w", err))
		}
		if s.signer, err = directory.NewRecordSigner(key); err != nil {
			return fail(fmt.Errorf("setting \"privateKey\": %w", err))
		}
		pub, err := publicKey(cfg, key)
		if err != nil {
			return fail(err)
		}
		if verifier, err = directory.NewRecordVerifier(pub); err != nil {
			return fail(fmt.Errorf("setting \"publicKey\": %w", err))
		}
		n |= needStore
	}
	if n&needSource != 0 {
		src, closeSrc, err := a.openSource(cfg, s.log)
		if err != nil {
			return fail(err)
		}
		s.source = src
		closers = append(closers, closeSrc)
	}
	if cfg.Store == storeServer {
		// The target is an Usher server on another machine, which
		// verifies every record itself; verbs that read the store here
		// have nothing to read.
		if n&needLocal != 0 {
			return fail(fmt.Errorf("this command reads the user store, and setting \"store\" is %q (the Usher server at %s): run it where the store is, or look on the server's admin page", storeServer, cfg.Server))
		}
		s.target = a.remoteTarget(cfg)
		return s, nil
	}
	if n&needStore != 0 {
		st, err := a.openStore(ctx, cfg.Store)
		if err != nil {
			return fail(err)
		}
		s.store = st
		closers = append(closers, func() { _ = st.Close() })
	}
	switch {
	case s.signer != nil:
		// The agent signs and writes in this one process: the target
		// relies on the signer for the records Sync and ApplySync hand it.
		if s.target, err = directory.NewSigningStoreTarget(s.store, s.signer); err != nil {
			return fail(err)
		}
	case verifier != nil:
		if s.target, err = directory.NewStoreTarget(s.store, verifier); err != nil {
			return fail(err)
		}
	}
	return s, nil
}

// publicKey reads the organization's public key file, which the target
// verifies records with; without the file it is derived from the private
// key. A public key that does not belong to the private key is an error,
// since every record would then be refused.
func publicKey(cfg *Config, priv crypto.PrivateKey) (crypto.PublicKey, error) {
	derived := priv.(crypto.Signer).Public()
	pub, err := readPublicKey(cfg)
	if err != nil || pub == nil {
		return derived, err
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if e, ok := pub.(equaler); !ok || !e.Equal(derived) {
		return nil, fmt.Errorf("setting \"publicKey\": %s is not the public half of %s", cfg.PublicKey, cfg.PrivateKey)
	}
	return pub, nil
}

// readPublicKey reads the public key file; nil, nil when there is none.
func readPublicKey(cfg *Config) (crypto.PublicKey, error) {
	if cfg.PublicKey == "" {
		return nil, nil
	}
	data, err := os.ReadFile(cfg.PublicKey)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("setting \"publicKey\": %w", err)
	}
	pub, err := directory.ParsePublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("setting \"publicKey\" (%s): %w", cfg.PublicKey, err)
	}
	return pub, nil
}

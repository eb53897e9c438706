package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/usher-sdk/usher/internal/keyfile"
)

// stateVersion is the version of the state file's format.
const stateVersion = 1

// state is the small file onboard writes beside the key so that later
// subcommands (show; requests, approve, deny, claim and wait with
// authrequest's device API) know which server, application and device the
// key belongs to. It holds no secret, but it is written 0600 like the key because it
// says where the key is used.
type state struct {
	Version     int    `json:"version"`
	Server      string `json:"server"`
	Application string `json:"application"`
	DeviceID    string `json:"device_id"`
	Key         string `json:"key"`
	Certificate string `json:"certificate"`
	Fingerprint string `json:"fingerprint"`
	// CAFile is onboard's -cacert, for later subcommands.
	CAFile string `json:"ca_file,omitempty"`
	// API is onboard's -api: the base URL of authrequest's device API
	// when the server mounts it elsewhere than Server; empty means Server.
	API         string    `json:"api,omitempty"`
	OnboardedAt time.Time `json:"onboarded_at"`
}

// apiURL is the base URL of authrequest's device API: API, else Server.
func (s state) apiURL() string {
	if s.API != "" {
		return s.API
	}
	return s.Server
}

// writeState writes st to path, which must not exist.
func writeState(path string, st state) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	if err := keyfile.WriteNew(path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	return nil
}

// readState reads the state file; a missing one wraps fs.ErrNotExist.
func readState(path string) (state, error) {
	data, err := keyfile.Read(path)
	if err != nil {
		return state{}, fmt.Errorf("state file: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var st state
	if err := dec.Decode(&st); err != nil {
		return state{}, fmt.Errorf("state file %s: %w", path, err)
	}
	if st.Version != stateVersion {
		return state{}, fmt.Errorf("state file %s: version %d, this program reads %d", path, st.Version, stateVersion)
	}
	return st, nil
}

// isNotExist reports whether err says a file is missing.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

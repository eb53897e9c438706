package syncapi

import (
	"errors"

	"github.com/usher-sdk/usher/directory"
)

// OrganizationHeader names the organization of a request.
const OrganizationHeader = "Usher-Organization"

// Limits of the protocol.
const (
	// MaxBatch is the most changes one POST /changes carries.
	MaxBatch = 1000
	// MaxBodyBytes bounds a POST /changes body: a record's fields are
	// capped by directory (a few KB each), so MaxBatch of them fit.
	MaxBodyBytes = 32 << 20
	// MaxKeyBytes bounds a public key upload.
	MaxKeyBytes = 16 << 10
	// MaxOrganizationLength bounds the organization's ID.
	MaxOrganizationLength = 128
)

// Errors of Keys.
var (
	// ErrOtherKey: another key, or another organization, is registered.
	ErrOtherKey = errors.New("syncapi: another key is registered")
	// ErrUnknownOrganization: the organization has no key registered.
	ErrUnknownOrganization = errors.New("syncapi: the organization has no key registered")
)

// wireRecord is a directory.SyncedRecord on the wire.
type wireRecord struct {
	Record    directory.Record `json:"record"`
	Signature string           `json:"signature"`
	Error     string           `json:"error,omitempty"`
}

// wireChange is a directory.SignedChange on the wire.
type wireChange struct {
	Kind      directory.SyncKind `json:"kind"`
	Record    directory.Record   `json:"record"`
	Before    directory.Record   `json:"before"`
	Fields    []string           `json:"fields,omitempty"`
	Gone      bool               `json:"gone,omitempty"`
	Signature string             `json:"signature"`
}

func toWire(c directory.SignedChange) wireChange {
	return wireChange{Kind: c.Change.Kind, Record: c.Change.Record, Before: c.Change.Before, Fields: c.Change.Fields, Gone: c.Change.Gone, Signature: c.Signature}
}

func (c wireChange) signed() directory.SignedChange {
	return directory.SignedChange{Change: directory.SyncChange{Kind: c.Kind, Record: c.Record, Before: c.Before, Fields: c.Fields, Gone: c.Gone}, Signature: c.Signature}
}

// result is one change's answer.
type result struct {
	Error   string `json:"error,omitempty"`
	Message string `json:"message,omitempty"`
}

// Result codes of POST /changes.
const (
	resultBadSignature = "bad_signature"
	resultRefused      = "refused"
)

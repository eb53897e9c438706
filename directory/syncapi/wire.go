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
	Before    *directory.Record  `json:"before,omitempty"` // absent when empty (a new user)
	Fields    []string           `json:"fields,omitempty"`
	Gone      bool               `json:"gone,omitempty"`
	Signature string             `json:"signature"`
}

func toWire(c directory.SignedChange) wireChange {
	w := wireChange{Kind: c.Change.Kind, Record: c.Change.Record, Fields: c.Change.Fields, Gone: c.Change.Gone, Signature: c.Signature}
	if b := c.Change.Before; b.Source != "" || b.ExternalID != "" || b.Username != "" || b.FullName != "" ||
		b.CorporateEmail != "" || b.PersonalEmail != "" || b.Phone != "" || len(b.Groups) > 0 || len(b.Roles) > 0 || b.Enabled {
		w.Before = &c.Change.Before
	}
	return w
}

func (c wireChange) signed() directory.SignedChange {
	ch := directory.SignedChange{Change: directory.SyncChange{Kind: c.Kind, Record: c.Record, Fields: c.Fields, Gone: c.Gone}, Signature: c.Signature}
	if c.Before != nil {
		ch.Change.Before = *c.Before
	}
	return ch
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

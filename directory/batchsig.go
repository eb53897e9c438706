package directory

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/mod/sumdb/tlog"
)

// Batch signatures. A sync signs thousands of records; one public-key
// signature each was most of a full sync's CPU (Ed25519: ≈ 21 µs to sign
// and ≈ 47 µs to verify per record). SignBatch instead builds a Merkle
// tree (RFC 6962, through golang.org/x/mod/sumdb/tlog, the Go checksum
// database's implementation) over the records' canonical forms, signs its
// head once, and gives every record a signature of its own that carries
// the signed head and the record's inclusion proof:
//
//	<head JWS>~<index>~<proof>
//
// The head is a compact JWS (typ usher-record-batch+jws) whose payload is
// {"size":N,"root":"<base64url tree hash>"}; index is the record's place
// in the tree, 0 ≤ index < size; proof is the base64url concatenation of
// the proof's 32-byte hashes. Each such signature verifies on its own,
// with nothing but the public key: the record's hash, climbed up its
// proof, must give the root the key signed. A RecordVerifier remembers the
// heads it has verified, so the records of one batch cost one public-key
// verification together and a hash path each.

// RecordsPerHead is the most records SignBatch puts under one signed
// head. It bounds a record's proof at 7 hashes (a signature of about 540
// bytes, as long as a single record's JWS) while a batch of 1,000
// records costs 8 public-key operations instead of 1,000.
const RecordsPerHead = 128

// maxHeadSize bounds the tree size a verifier accepts in a head, and with
// it the proof length (a tree of 2^20 records has proofs of at most 20
// hashes).
const maxHeadSize = 1 << 20

// headTyp is the JWS type of a batch head: a record signature (typ
// usher-record+jws) is never accepted as a head, nor a head as a record
// signature.
const headTyp = "usher-record-batch+jws"

var headEd25519B64 = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"EdDSA","typ":"` + headTyp + `"}`))

// strictB64 decodes only the one encoding SignBatch writes, so that a
// signature that verifies is the very string the signer made.
var strictB64 = base64.RawURLEncoding.Strict()

// batchHead is a head's payload.
type batchHead struct {
	Size int64  `json:"size"`
	Root string `json:"root"`
}

// SignBatch signs records together: for each record it returns a
// signature that RecordVerifier.Verify checks on its own, as it checks
// one from Sign, at a small part of the cost (one public-key signature per
// RecordsPerHead records). Records are canonicalized as Sign does; the
// result has one signature per record, in order.
func (s *RecordSigner) SignBatch(records []Record) ([]string, error) {
	out := make([]string, 0, len(records))
	for start := 0; start < len(records); start += RecordsPerHead {
		sigs, err := s.signTree(records[start:min(start+RecordsPerHead, len(records))])
		if err != nil {
			return nil, err
		}
		out = append(out, sigs...)
	}
	return out, nil
}

// signTree signs one tree of at most RecordsPerHead records.
func (s *RecordSigner) signTree(records []Record) ([]string, error) {
	n := int64(len(records))
	stored := make([]tlog.Hash, 0, tlog.StoredHashCount(n))
	read := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		hs := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			if x < 0 || x >= int64(len(stored)) {
				return nil, fmt.Errorf("directory: batch tree: hash %d of %d", x, len(stored))
			}
			hs[i] = stored[x]
		}
		return hs, nil
	})
	for i, r := range records {
		hs, err := tlog.StoredHashesForRecordHash(int64(i), tlog.RecordHash(r.Canonical()), read)
		if err != nil {
			return nil, fmt.Errorf("directory: batch tree: %w", err)
		}
		stored = append(stored, hs...)
	}
	root, err := tlog.TreeHash(n, read)
	if err != nil {
		return nil, fmt.Errorf("directory: batch tree: %w", err)
	}
	payload, _ := json.Marshal(batchHead{Size: n, Root: base64.RawURLEncoding.EncodeToString(root[:])})
	head, err := s.signHead(payload)
	if err != nil {
		return nil, err
	}
	sigs := make([]string, len(records))
	var b strings.Builder
	var raw, enc []byte // reused: a proof's hashes, and their base64
	for i := range records {
		proof, err := tlog.ProveRecord(n, int64(i), read)
		if err != nil {
			return nil, fmt.Errorf("directory: batch tree: %w", err)
		}
		raw = raw[:0]
		for _, h := range proof {
			raw = append(raw, h[:]...)
		}
		enc = base64.RawURLEncoding.AppendEncode(enc[:0], raw)
		b.Reset()
		b.Grow(len(head) + 8 + len(enc))
		b.WriteString(head)
		b.WriteByte('~')
		b.WriteString(strconv.Itoa(i))
		b.WriteByte('~')
		b.Write(enc)
		sigs[i] = b.String()
	}
	return sigs, nil
}

// signHead signs a head's payload as a compact JWS.
func (s *RecordSigner) signHead(payload []byte) (string, error) {
	if s.ed != nil {
		return signEd25519With(s.ed, headEd25519B64, payload), nil
	}
	obj, err := s.head.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("directory: signing batch head: %w", err)
	}
	return obj.CompactSerialize()
}

// verifiedHead is a head whose signature verified, decoded.
type verifiedHead struct {
	size int64
	root tlog.Hash
}

// headCache remembers verified heads. It is bounded: when full it is
// emptied, which costs a re-verification, never a wrong answer (only
// heads that verified are ever put in).
type headCache struct {
	mu    sync.Mutex
	heads map[string]verifiedHead
}

// maxCachedHeads bounds a verifier's memory of heads (each key is a
// head's JWS, about 240 bytes).
const maxCachedHeads = 1024

func (c *headCache) get(jws string) (verifiedHead, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.heads[jws]
	return h, ok
}

func (c *headCache) put(jws string, h verifiedHead) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.heads == nil || len(c.heads) >= maxCachedHeads {
		c.heads = make(map[string]verifiedHead)
	}
	c.heads[jws] = h
}

// verifyBatch checks a signature made by SignBatch. Its errors say what is
// wrong; the caller wraps them.
func (v *RecordVerifier) verifyBatch(canonical []byte, sig string) error {
	jws, rest, _ := strings.Cut(sig, "~")
	indexText, proofText, ok := strings.Cut(rest, "~")
	if !ok || jws == "" {
		return errors.New("malformed batch signature")
	}
	head, err := v.head(jws)
	if err != nil {
		return err
	}
	index, err := strconv.ParseInt(indexText, 10, 64)
	if err != nil || index < 0 || index >= head.size || strconv.FormatInt(index, 10) != indexText {
		return errors.New("malformed batch signature: bad index")
	}
	raw, err := strictB64.DecodeString(proofText)
	if err != nil || len(raw)%tlog.HashSize != 0 || len(raw)/tlog.HashSize > 64 {
		return errors.New("malformed batch signature: bad proof")
	}
	proof := make(tlog.RecordProof, len(raw)/tlog.HashSize)
	for i := range proof {
		copy(proof[i][:], raw[i*tlog.HashSize:])
	}
	if tlog.CheckRecord(proof, head.size, head.root, index, tlog.RecordHash(canonical)) != nil {
		return errChanged
	}
	return nil
}

// head verifies a batch head's JWS, or finds it among those verified.
func (v *RecordVerifier) head(jws string) (verifiedHead, error) {
	if h, ok := v.heads.get(jws); ok {
		return h, nil
	}
	payload, err := v.verifyHeadJWS(jws)
	if err != nil {
		return verifiedHead{}, err
	}
	var h batchHead
	dec := json.NewDecoder(strings.NewReader(string(payload)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil || dec.More() {
		return verifiedHead{}, errors.New("malformed batch head")
	}
	root, err := strictB64.DecodeString(h.Root)
	if err != nil || len(root) != tlog.HashSize || h.Size < 1 || h.Size > maxHeadSize {
		return verifiedHead{}, errors.New("malformed batch head")
	}
	vh := verifiedHead{size: h.Size}
	copy(vh.root[:], root)
	v.heads.put(jws, vh)
	return vh, nil
}

// verifyHeadJWS checks a head's signature and type and returns its
// payload.
func (v *RecordVerifier) verifyHeadJWS(jws string) ([]byte, error) {
	switch k := v.key.(type) {
	case ed25519.PublicKey:
		header, body, sigB64, ok := splitCompact(jws)
		if !ok {
			return nil, errors.New("malformed batch head")
		}
		if header != headEd25519B64 {
			return nil, errors.New("not a batch head of this package")
		}
		sig, err := strictB64.DecodeString(sigB64)
		if err != nil || len(sig) != ed25519.SignatureSize {
			return nil, errors.New("malformed signature")
		}
		if !ed25519.Verify(k, []byte(jws[:len(header)+1+len(body)]), sig) {
			return nil, errNotOurKey
		}
		payload, err := strictB64.DecodeString(body)
		if err != nil {
			return nil, errors.New("malformed batch head")
		}
		return payload, nil
	case *ecdsa.PublicKey:
		obj, err := jose.ParseSignedCompact(jws, []jose.SignatureAlgorithm{v.alg})
		if err != nil {
			return nil, errors.New("malformed batch head")
		}
		if len(obj.Signatures) != 1 || obj.Signatures[0].Protected.ExtraHeaders[jose.HeaderType] != headTyp {
			return nil, errors.New("not a batch head of this package")
		}
		payload, err := obj.Verify(k)
		if err != nil {
			return nil, errNotOurKey
		}
		return payload, nil
	default:
		return nil, fmt.Errorf("unsupported key %T", v.key)
	}
}

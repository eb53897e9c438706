package sqlstore

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/database"
)

// requestData is a request as its data column keeps it: every field,
// those hidden from JSON included.
type requestData struct {
	authrequest.Request
	Number        string `json:"number,omitempty"`
	Nonce         string `json:"nonce,omitempty"`
	ClaimCodeHash string `json:"claim_code_hash,omitempty"`
}

func encodeRequest(r authrequest.Request) (string, error) {
	b, err := json.Marshal(requestData{Request: r, Number: r.Number, Nonce: r.Nonce, ClaimCodeHash: r.ClaimCodeHash})
	if err != nil {
		return "", fmt.Errorf("sqlstore: encode request: %w", err)
	}
	return string(b), nil
}

func decodeRequest(data string) (authrequest.Request, error) {
	var d requestData
	if err := json.Unmarshal([]byte(data), &d); err != nil {
		return authrequest.Request{}, fmt.Errorf("sqlstore: decode request: %w", err)
	}
	r := d.Request
	r.Number, r.Nonce, r.ClaimCodeHash = d.Number, d.Nonce, d.ClaimCodeHash
	r.CreatedAt, r.ExpiresAt, r.UpdatedAt = r.CreatedAt.UTC(), r.ExpiresAt.UTC(), r.UpdatedAt.UTC()
	for i := range r.Answers {
		r.Answers[i].Time = r.Answers[i].Time.UTC()
	}
	return r, nil
}

// queryRequests runs a SELECT of data columns.
func queryRequests(ctx context.Context, q database.Querier, query string, args ...any) ([]authrequest.Request, error) {
	return database.QueryAll(ctx, q, func(r *sql.Rows) (authrequest.Request, error) {
		var data string
		if err := r.Scan(&data); err != nil {
			return authrequest.Request{}, err
		}
		return decodeRequest(data)
	}, query, args...)
}

// pendingLockKey is the advisory lock of one user in one application, for
// singlePending creators on PostgreSQL.
func pendingLockKey(applicationID, userID string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("usher-authrequest-pending\x00" + applicationID + "\x00" + userID))
	return int64(binary.BigEndian.Uint64(h.Sum(nil)))
}

func (s *Store) insertRequest(ctx context.Context, tx *sql.Tx, r authrequest.Request) error {
	data, err := encodeRequest(r)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO usher_authrequest_requests
	(id, application_id, user_id, approver_id, status, created_at, expires_at, updated_at, data)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		r.ID, r.ApplicationID, r.UserID, r.ApproverID, string(r.Status), nanos(r.CreatedAt), nanos(r.ExpiresAt), nanos(r.UpdatedAt), data)
	if isUnique(err) {
		return authrequest.ErrConflict
	}
	return err
}

// CreateRequest stores r and ds in one transaction; see
// authrequest.RequestStore.
func (s *Store) CreateRequest(ctx context.Context, r authrequest.Request, singlePending bool, ds []authrequest.Delivery) (authrequest.Request, error) {
	if err := s.begin(ctx); err != nil {
		return authrequest.Request{}, err
	}
	if r.ID == "" || r.ApplicationID == "" {
		return authrequest.Request{}, fmt.Errorf("sqlstore: request without ID or application: %w", authrequest.ErrInvalid)
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = s.now().UTC().Round(0)
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if singlePending && r.UserID != "" {
			if s.postgres() {
				if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, pendingLockKey(r.ApplicationID, r.UserID)); err != nil {
					return err
				}
			}
			var n int
			err := tx.QueryRowContext(ctx, `SELECT count(*) FROM usher_authrequest_requests
			WHERE application_id = $1 AND user_id = $2 AND status IN ($3, $4) AND expires_at > $5`,
				r.ApplicationID, r.UserID, string(authrequest.StatePending), string(authrequest.StateApproverPending), nanos(r.CreatedAt)).Scan(&n)
			if err != nil {
				return err
			}
			if n > 0 {
				return authrequest.ErrPendingExists
			}
		}
		if err := s.insertRequest(ctx, tx, r); err != nil {
			return err
		}
		return s.out.Insert(ctx, tx, ds)
	})
	if err != nil {
		return authrequest.Request{}, wrap("create request", err)
	}
	return r, nil
}

// GetRequest returns the request or authrequest.ErrNotFound.
func (s *Store) GetRequest(ctx context.Context, id string) (authrequest.Request, error) {
	if err := s.begin(ctx); err != nil {
		return authrequest.Request{}, err
	}
	var data string
	err := s.db.SQL().QueryRowContext(ctx, `SELECT data FROM usher_authrequest_requests WHERE id = $1`, id).Scan(&data)
	if err != nil {
		return authrequest.Request{}, wrap("get request", notFound(err))
	}
	return decodeRequest(data)
}

// UpdateRequest reads the request with its row locked, hands it to fn and
// stores the result and fn's deliveries in the same transaction; see
// authrequest.RequestStore.
func (s *Store) UpdateRequest(ctx context.Context, id string, fn func(*authrequest.Request) ([]authrequest.Delivery, error)) (authrequest.Request, error) {
	if err := s.begin(ctx); err != nil {
		return authrequest.Request{}, err
	}
	var out authrequest.Request
	var fnErr error
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var data string
		err := tx.QueryRowContext(ctx, `SELECT data FROM usher_authrequest_requests WHERE id = $1`+s.forUpdate(), id).Scan(&data)
		if err != nil {
			return notFound(err)
		}
		r, err := decodeRequest(data)
		if err != nil {
			return err
		}
		keep := r
		ds, err := fn(&r)
		if err != nil {
			fnErr = err
			return err
		}
		r.ID, r.ApplicationID, r.CreatedAt = keep.ID, keep.ApplicationID, keep.CreatedAt
		r.UpdatedAt = s.now().UTC().Round(0)
		if err := s.updateRequest(ctx, tx, r); err != nil {
			return err
		}
		out = r
		return s.out.Insert(ctx, tx, ds)
	})
	if fnErr != nil {
		return authrequest.Request{}, fnErr // unchanged, as the contract says
	}
	if err != nil {
		return authrequest.Request{}, wrap("update request", err)
	}
	return out, nil
}

func (s *Store) updateRequest(ctx context.Context, tx *sql.Tx, r authrequest.Request) error {
	data, err := encodeRequest(r)
	if err != nil {
		return err
	}
	return affected(tx.ExecContext(ctx, `UPDATE usher_authrequest_requests
	SET user_id = $2, approver_id = $3, status = $4, expires_at = $5, updated_at = $6, data = $7 WHERE id = $1`,
		r.ID, r.UserID, r.ApproverID, string(r.Status), nanos(r.ExpiresAt), nanos(r.UpdatedAt), data))
}

// maxList bounds what one listing returns, whatever limit asks.
const maxList = 1000

func bound(limit int) int {
	if limit <= 0 || limit > maxList {
		return maxList
	}
	return limit
}

// PendingRequests returns what userID's devices must answer, oldest
// first; see authrequest.RequestStore.
func (s *Store) PendingRequests(ctx context.Context, applicationID, userID string, now time.Time, limit int) ([]authrequest.Request, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	rs, err := queryRequests(ctx, s.db.SQL(), `SELECT data FROM usher_authrequest_requests
	WHERE ((user_id = $1 AND status = $2) OR (approver_id = $1 AND status = $3)) AND expires_at > $4 AND application_id = $6
	ORDER BY created_at, id LIMIT $5`,
		userID, string(authrequest.StatePending), string(authrequest.StateApproverPending), nanos(now), bound(limit), applicationID)
	return rs, wrap("pending requests", err)
}

// ListRequests returns an application's requests, newest first; see
// authrequest.RequestStore.
func (s *Store) ListRequests(ctx context.Context, applicationID string, before time.Time, limit int) ([]authrequest.Request, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	q := `SELECT data FROM usher_authrequest_requests WHERE application_id = $1`
	args := []any{applicationID}
	if !before.IsZero() {
		q += ` AND created_at < $3`
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT $2`
	args = append(args, bound(limit))
	if !before.IsZero() {
		args = append(args, nanos(before))
	}
	rs, err := queryRequests(ctx, s.db.SQL(), q, args...)
	return rs, wrap("list requests", err)
}

// DeleteRequest removes a request or returns authrequest.ErrNotFound.
func (s *Store) DeleteRequest(ctx context.Context, id string) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		return affected(tx.ExecContext(ctx, `DELETE FROM usher_authrequest_requests WHERE id = $1`, id))
	})
	return wrap("delete request", err)
}

// expireBatch is how many requests one transaction of ExpireRequests
// moves.
const expireBatch = 200

// ExpireRequests moves the requests due at now to StateExpired, in
// transactions of up to 200 requests each with their deliveries; see
// authrequest.RequestStore.
func (s *Store) ExpireRequests(ctx context.Context, now time.Time, fn func(authrequest.Request) []authrequest.Delivery) (int, error) {
	if err := s.begin(ctx); err != nil {
		return 0, err
	}
	notFinal := []string{string(authrequest.StateUnclaimed), string(authrequest.StatePending), string(authrequest.StateApproverPending)}
	total := 0
	for {
		n := 0
		err := s.tx(ctx, func(tx *sql.Tx) error {
			q := `SELECT data FROM usher_authrequest_requests WHERE status IN ($1, $2, $3) AND expires_at < $4
			ORDER BY created_at, id LIMIT $5` + s.forUpdate()
			rs, err := queryRequests(ctx, tx, q, notFinal[0], notFinal[1], notFinal[2], nanos(now), expireBatch)
			if err != nil {
				return err
			}
			var ds []authrequest.Delivery
			for _, r := range rs {
				r.Status = authrequest.StateExpired
				r.UpdatedAt = s.now().UTC().Round(0)
				if err := s.updateRequest(ctx, tx, r); err != nil {
					return err
				}
				if fn != nil {
					ds = append(ds, fn(r)...)
				}
			}
			for len(ds) > 0 { // outbox.Insert takes a bounded batch
				k := min(len(ds), 500)
				if err := s.out.Insert(ctx, tx, ds[:k]); err != nil {
					return err
				}
				ds = ds[k:]
			}
			n = len(rs)
			return nil
		})
		if err != nil {
			return total, wrap("expire requests", err)
		}
		total += n
		if n < expireBatch {
			return total, nil
		}
	}
}

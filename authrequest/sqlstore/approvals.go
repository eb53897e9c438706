package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/database"
)

// SetApprover makes approverID the approver of userID in an application;
// an empty approverID removes it.
func (s *Store) SetApprover(ctx context.Context, applicationID, userID, approverID string) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	return wrap("set approver", s.tx(ctx, func(tx *sql.Tx) error {
		if approverID == "" {
			_, err := tx.ExecContext(ctx, `DELETE FROM usher_authrequest_approvers WHERE application_id = $1 AND user_id = $2`, applicationID, userID)
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO usher_authrequest_approvers (application_id, user_id, approver_id) VALUES ($1, $2, $3)
		ON CONFLICT (application_id, user_id) DO UPDATE SET approver_id = excluded.approver_id`, applicationID, userID, approverID)
		return err
	}))
}

// Approver returns userID's approver in the application, or "".
func (s *Store) Approver(ctx context.Context, applicationID, userID string) (string, error) {
	if err := s.begin(ctx); err != nil {
		return "", err
	}
	var a string
	err := s.db.SQL().QueryRowContext(ctx, `SELECT approver_id FROM usher_authrequest_approvers WHERE application_id = $1 AND user_id = $2`,
		applicationID, userID).Scan(&a)
	if err == sql.ErrNoRows {
		return "", nil
	}
	return a, wrap("approver", err)
}

const policyColumns = `id, application_id, name, max_period, ask_validity, created_at`

type scanner interface{ Scan(...any) error }

func scanPolicy(r scanner) (authrequest.PreApprovalPolicy, error) {
	var p authrequest.PreApprovalPolicy
	var maxPeriod, ask, created int64
	err := r.Scan(&p.ID, &p.ApplicationID, &p.Name, &maxPeriod, &ask, &created)
	p.MaxPeriod, p.AskValidity, p.CreatedAt = time.Duration(maxPeriod), time.Duration(ask), fromNanos(created)
	return p, err
}

// CreatePolicy stores p with a new ID; a name taken in the application
// (without regard to case) is authrequest.ErrConflict.
func (s *Store) CreatePolicy(ctx context.Context, p authrequest.PreApprovalPolicy) (authrequest.PreApprovalPolicy, error) {
	if err := s.begin(ctx); err != nil {
		return authrequest.PreApprovalPolicy{}, err
	}
	id, now, err := s.newID()
	if err != nil {
		return authrequest.PreApprovalPolicy{}, err
	}
	p.ID, p.CreatedAt = id, now
	err = s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO usher_authrequest_policies (id, application_id, name, name_key, max_period, ask_validity, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, p.ID, p.ApplicationID, p.Name, nameKey(p.Name), int64(p.MaxPeriod), int64(p.AskValidity), nanos(now))
		if isUnique(err) {
			return authrequest.ErrConflict
		}
		return err
	})
	if err != nil {
		return authrequest.PreApprovalPolicy{}, wrap("create policy", err)
	}
	return p, nil
}

// GetPolicy returns the policy or authrequest.ErrNotFound.
func (s *Store) GetPolicy(ctx context.Context, id string) (authrequest.PreApprovalPolicy, error) {
	if err := s.begin(ctx); err != nil {
		return authrequest.PreApprovalPolicy{}, err
	}
	p, err := scanPolicy(s.db.SQL().QueryRowContext(ctx, `SELECT `+policyColumns+` FROM usher_authrequest_policies WHERE id = $1`, id))
	if err != nil {
		return authrequest.PreApprovalPolicy{}, wrap("get policy", notFound(err))
	}
	return p, nil
}

// ListPolicies returns an application's policies by name.
func (s *Store) ListPolicies(ctx context.Context, applicationID string) ([]authrequest.PreApprovalPolicy, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	out, err := database.QueryAll(ctx, s.db.SQL(), func(r *sql.Rows) (authrequest.PreApprovalPolicy, error) { return scanPolicy(r) },
		`SELECT `+policyColumns+` FROM usher_authrequest_policies WHERE application_id = $1
	ORDER BY name_key`+s.collate()+`, id`, applicationID)
	return out, wrap("list policies", err)
}

// DeletePolicy removes a policy and its pre-approvals, or returns
// authrequest.ErrNotFound.
func (s *Store) DeletePolicy(ctx context.Context, id string) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	return wrap("delete policy", s.tx(ctx, func(tx *sql.Tx) error {
		if err := affected(tx.ExecContext(ctx, `DELETE FROM usher_authrequest_policies WHERE id = $1`, id)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM usher_authrequest_pre_approvals WHERE policy_id = $1`, id)
		return err
	}))
}

const paColumns = `id, policy_id, application_id, user_id, approver_id, period, state, created_at, ask_expires_at, active_until, updated_at`

func scanPA(r scanner) (authrequest.PreApproval, error) {
	var p authrequest.PreApproval
	var period, created, ask, until, updated int64
	var state string
	err := r.Scan(&p.ID, &p.PolicyID, &p.ApplicationID, &p.UserID, &p.ApproverID, &period, &state, &created, &ask, &until, &updated)
	p.Period, p.State = time.Duration(period), authrequest.PreApprovalState(state)
	p.CreatedAt, p.AskExpiresAt, p.ActiveUntil, p.UpdatedAt = fromNanos(created), fromNanos(ask), fromNanos(until), fromNanos(updated)
	return p, err
}

// CreatePreApproval stores p (ID set by the caller); an ID in use is
// authrequest.ErrConflict.
func (s *Store) CreatePreApproval(ctx context.Context, p authrequest.PreApproval) (authrequest.PreApproval, error) {
	if err := s.begin(ctx); err != nil {
		return authrequest.PreApproval{}, err
	}
	if p.ID == "" {
		return authrequest.PreApproval{}, wrap("create pre-approval", authrequest.ErrInvalid)
	}
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = s.now().UTC().Round(0)
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO usher_authrequest_pre_approvals (`+paColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			p.ID, p.PolicyID, p.ApplicationID, p.UserID, p.ApproverID, int64(p.Period), string(p.State),
			nanos(p.CreatedAt), nanos(p.AskExpiresAt), nanos(p.ActiveUntil), nanos(p.UpdatedAt))
		if isUnique(err) {
			return authrequest.ErrConflict
		}
		return err
	})
	if err != nil {
		return authrequest.PreApproval{}, wrap("create pre-approval", err)
	}
	return p, nil
}

// GetPreApproval returns the pre-approval or authrequest.ErrNotFound.
func (s *Store) GetPreApproval(ctx context.Context, id string) (authrequest.PreApproval, error) {
	if err := s.begin(ctx); err != nil {
		return authrequest.PreApproval{}, err
	}
	p, err := scanPA(s.db.SQL().QueryRowContext(ctx, `SELECT `+paColumns+` FROM usher_authrequest_pre_approvals WHERE id = $1`, id))
	if err != nil {
		return authrequest.PreApproval{}, wrap("get pre-approval", notFound(err))
	}
	return p, nil
}

// UpdatePreApproval reads the pre-approval with its row locked, hands it
// to fn and stores the result, in one transaction; fn's error is returned
// unchanged and nothing is stored.
func (s *Store) UpdatePreApproval(ctx context.Context, id string, fn func(*authrequest.PreApproval) error) (authrequest.PreApproval, error) {
	if err := s.begin(ctx); err != nil {
		return authrequest.PreApproval{}, err
	}
	var out authrequest.PreApproval
	var fnErr error
	err := s.tx(ctx, func(tx *sql.Tx) error {
		p, err := scanPA(tx.QueryRowContext(ctx, `SELECT `+paColumns+` FROM usher_authrequest_pre_approvals WHERE id = $1`+s.forUpdate(), id))
		if err != nil {
			return notFound(err)
		}
		keep := p
		if err := fn(&p); err != nil {
			fnErr = err
			return err
		}
		p.ID, p.ApplicationID, p.CreatedAt = keep.ID, keep.ApplicationID, keep.CreatedAt
		p.UpdatedAt = s.now().UTC().Round(0)
		out = p
		return affected(tx.ExecContext(ctx, `UPDATE usher_authrequest_pre_approvals SET policy_id = $2, user_id = $3, approver_id = $4,
		period = $5, state = $6, ask_expires_at = $7, active_until = $8, updated_at = $9 WHERE id = $1`,
			p.ID, p.PolicyID, p.UserID, p.ApproverID, int64(p.Period), string(p.State), nanos(p.AskExpiresAt), nanos(p.ActiveUntil), nanos(p.UpdatedAt)))
	})
	if fnErr != nil {
		return authrequest.PreApproval{}, fnErr
	}
	if err != nil {
		return authrequest.PreApproval{}, wrap("update pre-approval", err)
	}
	return out, nil
}

// ActivePreApproval returns the user's active pre-approval in the
// application (the one that lasts longest when several do), or
// authrequest.ErrNotFound.
func (s *Store) ActivePreApproval(ctx context.Context, applicationID, userID string, now time.Time) (authrequest.PreApproval, error) {
	if err := s.begin(ctx); err != nil {
		return authrequest.PreApproval{}, err
	}
	p, err := scanPA(s.db.SQL().QueryRowContext(ctx, `SELECT `+paColumns+` FROM usher_authrequest_pre_approvals
	WHERE application_id = $1 AND user_id = $2 AND state = $3 AND active_until > $4 ORDER BY active_until DESC, id LIMIT 1`,
		applicationID, userID, string(authrequest.PreApprovalActive), nanos(now)))
	if err != nil {
		return authrequest.PreApproval{}, wrap("active pre-approval", notFound(err))
	}
	return p, nil
}

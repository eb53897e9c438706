package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/usher-sdk/usher/authrequest"
)

// SetApprover makes approverID the approver of userID, or removes it when
// approverID is empty.
func (s *Store) SetApprover(ctx context.Context, applicationID, userID, approverID string) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	k := userKey{applicationID, userID}
	if approverID == "" {
		delete(s.approvers, k)
	} else {
		s.approvers[k] = approverID
	}
	return nil
}

// Approver returns userID's approver, or "".
func (s *Store) Approver(ctx context.Context, applicationID, userID string) (string, error) {
	if err := s.lock(ctx); err != nil {
		return "", err
	}
	defer s.mu.Unlock()
	return s.approvers[userKey{applicationID, userID}], nil
}

// CreatePolicy stores p with a new ID; names compare without regard to
// case.
func (s *Store) CreatePolicy(ctx context.Context, p authrequest.PreApprovalPolicy) (authrequest.PreApprovalPolicy, error) {
	if err := s.lock(ctx); err != nil {
		return authrequest.PreApprovalPolicy{}, err
	}
	defer s.mu.Unlock()
	key := nameKey(p.Name)
	for _, o := range s.policies {
		if o.ApplicationID == p.ApplicationID && nameKey(o.Name) == key {
			return authrequest.PreApprovalPolicy{}, fmt.Errorf("memstore: policy %q: %w", p.Name, authrequest.ErrConflict)
		}
	}
	id, now, err := s.newID()
	if err != nil {
		return authrequest.PreApprovalPolicy{}, err
	}
	p.ID, p.CreatedAt = id, now
	s.policies[id] = p
	return p, nil
}

// GetPolicy returns the policy by ID.
func (s *Store) GetPolicy(ctx context.Context, id string) (authrequest.PreApprovalPolicy, error) {
	if err := s.lock(ctx); err != nil {
		return authrequest.PreApprovalPolicy{}, err
	}
	defer s.mu.Unlock()
	p, ok := s.policies[id]
	if !ok {
		return authrequest.PreApprovalPolicy{}, notFound("policy")
	}
	return p, nil
}

// ListPolicies returns an application's policies by name.
func (s *Store) ListPolicies(ctx context.Context, applicationID string) ([]authrequest.PreApprovalPolicy, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []authrequest.PreApprovalPolicy
	for _, p := range s.policies {
		if p.ApplicationID == applicationID {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b authrequest.PreApprovalPolicy) int {
		return cmp.Or(cmp.Compare(nameKey(a.Name), nameKey(b.Name)), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// DeletePolicy removes a policy and its pre-approvals.
func (s *Store) DeletePolicy(ctx context.Context, id string) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.policies[id]; !ok {
		return notFound("policy")
	}
	delete(s.policies, id)
	for k, pa := range s.preApprovals {
		if pa.PolicyID == id {
			delete(s.preApprovals, k)
		}
	}
	return nil
}

// CreatePreApproval stores p; an ID in use is ErrConflict.
func (s *Store) CreatePreApproval(ctx context.Context, p authrequest.PreApproval) (authrequest.PreApproval, error) {
	if p.ID == "" {
		return authrequest.PreApproval{}, fmt.Errorf("memstore: pre-approval without ID: %w", authrequest.ErrInvalid)
	}
	if err := s.lock(ctx); err != nil {
		return authrequest.PreApproval{}, err
	}
	defer s.mu.Unlock()
	if _, ok := s.preApprovals[p.ID]; ok {
		return authrequest.PreApproval{}, fmt.Errorf("memstore: pre-approval %s: %w", p.ID, authrequest.ErrConflict)
	}
	p.UpdatedAt = s.stamp()
	s.preApprovals[p.ID] = p
	return p, nil
}

// GetPreApproval returns the pre-approval by ID.
func (s *Store) GetPreApproval(ctx context.Context, id string) (authrequest.PreApproval, error) {
	if err := s.lock(ctx); err != nil {
		return authrequest.PreApproval{}, err
	}
	defer s.mu.Unlock()
	p, ok := s.preApprovals[id]
	if !ok {
		return authrequest.PreApproval{}, notFound("pre-approval")
	}
	return p, nil
}

// UpdatePreApproval runs fn on a copy under the store's lock and keeps the
// result unless fn fails; ID, ApplicationID and CreatedAt cannot change.
func (s *Store) UpdatePreApproval(ctx context.Context, id string, fn func(*authrequest.PreApproval) error) (authrequest.PreApproval, error) {
	if err := s.lock(ctx); err != nil {
		return authrequest.PreApproval{}, err
	}
	defer s.mu.Unlock()
	old, ok := s.preApprovals[id]
	if !ok {
		return authrequest.PreApproval{}, notFound("pre-approval")
	}
	p := old
	if err := fn(&p); err != nil {
		return authrequest.PreApproval{}, err
	}
	p.ID, p.ApplicationID, p.CreatedAt, p.UpdatedAt = old.ID, old.ApplicationID, old.CreatedAt, s.stamp()
	s.preApprovals[id] = p
	return p, nil
}

// ActivePreApproval returns the user's active pre-approval in the
// application (the one that lasts longest when several do).
func (s *Store) ActivePreApproval(ctx context.Context, applicationID, userID string, now time.Time) (authrequest.PreApproval, error) {
	if err := s.lock(ctx); err != nil {
		return authrequest.PreApproval{}, err
	}
	defer s.mu.Unlock()
	var best authrequest.PreApproval
	found := false
	for _, p := range s.preApprovals {
		if p.ApplicationID != applicationID || p.UserID != userID || p.State != authrequest.PreApprovalActive || !p.ActiveUntil.After(now) {
			continue
		}
		if !found || p.ActiveUntil.After(best.ActiveUntil) || (p.ActiveUntil.Equal(best.ActiveUntil) && p.ID < best.ID) {
			best, found = p, true
		}
	}
	if !found {
		return authrequest.PreApproval{}, notFound("active pre-approval")
	}
	return best, nil
}

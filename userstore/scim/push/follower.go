package push

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/usher-sdk/usher/internal/scimmap"
	"github.com/usher-sdk/usher/userstore"
)

// Source is what a Follower reads of a user store: its change feed and the
// records the changes name. Every userstore.Store has it.
type Source interface {
	userstore.ChangeFeed
	GetUser(ctx context.Context, id string) (userstore.User, error)
	ListUsers(ctx context.Context, opts userstore.ListOptions) iter.Seq2[userstore.User, error]
	GetGroup(ctx context.Context, name string) (userstore.Group, error)
	GetGroupByID(ctx context.Context, id string) (userstore.Group, error)
	ListGroups(ctx context.Context) iter.Seq2[userstore.Group, error]
	ListMembers(ctx context.Context, group string) iter.Seq2[userstore.User, error]
}

// The downstream's endpoints (RFC 7644, section 3.2).
const (
	usersEndpoint  = "Users"
	groupsEndpoint = "Groups"
)

// maxCachedIDs bounds the cache of downstream IDs; past it the cache starts
// over (lookups by externalId refill it).
const maxCachedIDs = 100_000

// Follower pushes a user store's changes to a downstream SCIM 2.0 service
// provider. Make one with New. It is safe for concurrent use: Step, Run and
// Reconcile take turns.
type Follower struct {
	cfg     Config
	src     Source
	cursors CursorStore
	c       *client
	log     *slog.Logger

	mu  sync.Mutex        // one pass at a time
	ids map[string]string // endpoint + "\x00" + externalId -> downstream id
}

// New returns a Follower that pushes the changes of src to the downstream
// that cfg names, saving its position in cursors under cfg.Name. It checks
// cfg (defaults applied) and the options and reports every problem at once.
func New(cfg Config, src Source, cursors CursorStore, opts ...Option) (*Follower, error) {
	cfg, base, err := cfg.withDefaults()
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	if src == nil {
		errs = append(errs, errors.New("push: nil source"))
	}
	if cursors == nil {
		errs = append(errs, errors.New("push: nil cursor store"))
	}
	o := options{log: slog.New(slog.NewTextHandler(io.Discard, nil)), now: time.Now}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			errs = append(errs, err)
		}
	}
	hc, err := o.httpClient(cfg)
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &Follower{
		cfg:     cfg,
		src:     src,
		cursors: cursors,
		c:       &client{base: base, http: hc, timeout: cfg.RequestTimeout, now: o.now},
		log:     o.log,
		ids:     make(map[string]string),
	}, nil
}

// Config returns the configuration in effect, defaults applied.
func (f *Follower) Config() Config { return f.cfg }

// Run follows the feed until ctx ends, and then returns ctx's error. It calls
// Step again at once while the feed has more, after Config.PollInterval once
// it has pushed everything, and, after a failed Step (an unreachable or
// failing downstream, a store that does not answer), after a backoff that
// starts at Config.RetryMin and doubles up to Config.RetryMax, or the longer
// wait a 429 or 503 answer's Retry-After asks for (up to Config.RetryMax),
// logging each failure at Warn. The cursor stays where the downstream last acknowledged, so
// nothing is lost however long the downstream is away.
func (f *Follower) Run(ctx context.Context) error {
	backoff := f.cfg.RetryMin
	for {
		n, err := f.Step(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		wait := f.cfg.PollInterval
		switch {
		case err != nil:
			wait = backoff
			backoff = min(2*backoff, f.cfg.RetryMax)
			var he *HTTPError
			if errors.As(err, &he) && he.RetryAfter > wait {
				wait = min(he.RetryAfter, f.cfg.RetryMax)
			}
			f.log.Warn("push: pass failed, retrying", "follower", f.cfg.Name,
				"pushed", n, "retry_in", wait.String(), "err", err)
		case n >= f.cfg.BatchSize:
			backoff = f.cfg.RetryMin
			continue
		default:
			backoff = f.cfg.RetryMin
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// target is one record a batch of changes names: a user by ID, or a group
// by ID (name holds the name the change gave it, for a group deleted
// before it was pushed under its ID) or, for a change without a group ID,
// by name; first is the index of the batch's first change that names it.
type target struct {
	group bool
	key   string
	byID  bool
	name  string
	first int
	// deleted is set for a group named by name when a change of the batch
	// is its group.deleted: only then is a group that no longer has the
	// name deleted downstream (it may have been renamed instead).
	deleted bool
}

// Step makes one pass: it reads up to Config.BatchSize changes after the
// saved cursor, pushes the current state of every user and group they name
// (each once, in the order of its first change) and saves the cursor at the
// last change whose record, and every record before it, the downstream
// acknowledged. It returns how many changes that covers. On an error the
// cursor covers only what was acknowledged before it, so the next Step
// pushes the rest again; pushes are idempotent by externalId.
//
// A change the downstream refuses for good (400 or 413: the content itself
// is wrong) is logged at Error and passed over so that it cannot block the
// feed; Reconcile pushes it again later.
func (f *Follower) Step(ctx context.Context) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	after, err := f.cursors.Load(ctx, f.cfg.Name)
	if err != nil {
		return 0, err
	}
	var batch []userstore.Change
	for ch, err := range f.src.Changes(ctx, after) {
		if err != nil {
			return 0, fmt.Errorf("push: read change feed: %w", err)
		}
		batch = append(batch, ch)
		if len(batch) >= f.cfg.BatchSize {
			break
		}
	}
	if len(batch) == 0 {
		return 0, nil
	}
	var targets []target
	seen := make(map[target]int) // target (group, key, byID) -> index in targets
	for i, ch := range batch {
		t := target{key: ch.UserID}
		switch ch.Kind {
		case userstore.UserCreated, userstore.UserUpdated, userstore.UserDeleted:
		default: // group and member events
			t = target{group: true, key: ch.Group}
			if ch.GroupID != "" {
				t = target{group: true, key: ch.GroupID, byID: true}
			} else {
				t.key = userstore.NormalizeUsername(ch.Group)
			}
		}
		if t.key == "" {
			continue
		}
		j, ok := seen[t]
		if !ok {
			j = len(targets)
			seen[t] = j
			u := t
			u.first, u.name = i, ch.Group
			targets = append(targets, u)
		}
		if ch.Kind == userstore.GroupDeleted {
			targets[j].deleted = true
		}
	}
	acked, pushErr := len(batch), error(nil)
	for _, t := range targets {
		var err error
		if t.group {
			err = f.syncGroup(ctx, t)
		} else {
			err = f.syncUser(ctx, t.key)
		}
		if err == nil {
			continue
		}
		var he *HTTPError
		if errors.As(err, &he) && he.permanent() && ctx.Err() == nil {
			if t.group {
				f.log.Error("push: downstream refused a change, passed over", "follower", f.cfg.Name,
					"group", t.key, "err", err)
			} else {
				f.log.Error("push: downstream refused a change, passed over", "follower", f.cfg.Name,
					"user_id", t.key, "err", err)
			}
			continue
		}
		acked, pushErr = t.first, err
		break
	}
	if acked > 0 {
		if err := f.cursors.Save(ctx, f.cfg.Name, batch[acked-1].Seq); err != nil {
			return 0, errors.Join(pushErr, err)
		}
	}
	return acked, pushErr
}

// syncUser pushes the user's current state, or its removal when the store
// no longer has it.
func (f *Follower) syncUser(ctx context.Context, id string) error {
	u, err := f.src.GetUser(ctx, id)
	if errors.Is(err, userstore.ErrNotFound) {
		return f.removeUser(ctx, id)
	}
	if err != nil {
		return fmt.Errorf("push: read user: %w", err)
	}
	_, err = f.upsertUser(ctx, u)
	return err
}

// syncGroup pushes the group's current state, members included, or deletes
// it downstream when the store no longer has it. A group named by ID is
// read by ID, so that a renamed group is pushed as the same downstream
// group with its new name; one named by name (a change without a group ID)
// is read by name, and when no group has that name and the group was
// deleted (t.deleted), the downstream group with the name as its
// externalId (as releases before group IDs pushed it) is deleted.
func (f *Follower) syncGroup(ctx context.Context, t target) error {
	var (
		g   userstore.Group
		err error
	)
	if t.byID {
		g, err = f.src.GetGroupByID(ctx, t.key)
	} else {
		g, err = f.src.GetGroup(ctx, t.key)
	}
	if errors.Is(err, userstore.ErrNotFound) {
		switch {
		case t.byID:
			return f.removeGroup(ctx, t.key, t.name)
		case t.deleted:
			return f.removeGroup(ctx, "", t.key)
		}
		return nil // renamed since, or deleted by a change still ahead
	}
	if err != nil {
		return fmt.Errorf("push: read group: %w", err)
	}
	return f.upsertGroup(ctx, g)
}

// syncGroupByExternalID pushes the group that a downstream externalId
// names: a group ID, or the name a release before group IDs used.
func (f *Follower) syncGroupByExternalID(ctx context.Context, extID string) error {
	if _, err := f.src.GetGroupByID(ctx, extID); err == nil {
		return f.syncGroup(ctx, target{group: true, key: extID, byID: true})
	} else if !errors.Is(err, userstore.ErrNotFound) {
		return fmt.Errorf("push: read group: %w", err)
	}
	return f.syncGroup(ctx, target{group: true, key: extID, deleted: true})
}

// userResource is the SCIM User Usher sends for u: scimmap's mapping without
// the attributes the service provider assigns (id, meta: RFC 7643, section
// 3.1), with Usher's user ID as externalId.
func userResource(u userstore.User) map[string]any {
	r := scimmap.UserToSCIM(u)
	delete(r, "id")
	delete(r, "meta")
	r["externalId"] = u.ID
	return r
}

// legacyGroupExternalID is the externalId under which releases before
// group IDs pushed a group: its name in the form in which Usher compares
// group names. A group is pushed under its ID (userstore.Group.ID), which a
// rename keeps; a downstream group found only under the legacy externalId
// is taken over (its externalId becomes the ID).
func legacyGroupExternalID(name string) string { return userstore.NormalizeUsername(name) }

// downstreamGroup returns the downstream id of g: by its ID, else by the
// legacy externalId of its name (legacy true).
func (f *Follower) downstreamGroup(ctx context.Context, g userstore.Group) (id string, legacy, ok bool, err error) {
	id, ok, err = f.downstreamID(ctx, groupsEndpoint, g.ID)
	if err != nil || ok {
		return id, false, ok, err
	}
	id, ok, err = f.downstreamID(ctx, groupsEndpoint, legacyGroupExternalID(g.Name))
	return id, ok, ok, err
}

func (f *Follower) upsertUser(ctx context.Context, u userstore.User) (string, error) {
	id, err := f.upsert(ctx, usersEndpoint, u.ID, userResource(u))
	if err == nil {
		f.log.Debug("push: user pushed", "follower", f.cfg.Name, "user_id", u.ID)
	}
	return id, err
}

func (f *Follower) upsertGroup(ctx context.Context, g userstore.Group) error {
	var members []string
	for m, err := range f.src.ListMembers(ctx, g.Name) {
		if err != nil {
			return fmt.Errorf("push: list members: %w", err)
		}
		id, ok, err := f.downstreamID(ctx, usersEndpoint, m.ID)
		if err != nil {
			return err
		}
		if !ok { // not pushed yet (a change still ahead in the feed)
			id, err = f.upsertUser(ctx, m)
			var he *HTTPError
			if errors.As(err, &he) && he.permanent() && ctx.Err() == nil {
				// The downstream refuses the user for good: the
				// group goes without it rather than not at all.
				f.log.Error("push: downstream refused a group member, left out", "follower", f.cfg.Name,
					"user_id", m.ID, "err", err)
				continue
			}
			if err != nil {
				return err
			}
		}
		members = append(members, id)
	}
	id, legacy, found, err := f.downstreamGroup(ctx, g)
	if err != nil {
		return err
	}
	if found && f.cfg.Members == PatchMembers && !legacy {
		done, err := f.patchGroup(ctx, id, g, members)
		if err != nil || done {
			return err
		}
		found = false // gone downstream meanwhile
	}
	r := scimmap.GroupToSCIM(g, members)
	delete(r, "id")
	delete(r, "meta")
	r["externalId"] = g.ID
	if found && legacy {
		// Take over the group a release before group IDs pushed.
		err := f.c.do(ctx, http.MethodPut, groupsEndpoint+"/"+id, nil, r, nil)
		if !isStatus(err, http.StatusNotFound) {
			if err == nil {
				f.adopted(g, id)
			}
			return err
		}
		f.forget(groupsEndpoint, legacyGroupExternalID(g.Name))
	}
	_, err = f.upsert(ctx, groupsEndpoint, g.ID, r)
	return err
}

// adopted records that the downstream group id, found under g's legacy
// externalId, now has g's ID as its externalId.
func (f *Follower) adopted(g userstore.Group, id string) {
	f.forget(groupsEndpoint, legacyGroupExternalID(g.Name))
	f.remember(groupsEndpoint, g.ID, id)
}

// patchGroup makes the downstream group id equal to g with the downstream
// users members as members, sending only the difference with PATCH: a
// displayName replace for a renamed group, and the members added and
// removed. done is false when the downstream has no such group. (A group
// taken over from a release before group IDs is replaced with PUT
// instead, which sets its externalId.)
func (f *Follower) patchGroup(ctx context.Context, id string, g userstore.Group, members []string) (done bool, err error) {
	var cur struct {
		DisplayName string `json:"displayName"`
		Members     []struct {
			Value string `json:"value"`
		} `json:"members"`
	}
	err = f.c.do(ctx, http.MethodGet, groupsEndpoint+"/"+id, nil, nil, &cur)
	if isStatus(err, http.StatusNotFound) {
		f.forget(groupsEndpoint, g.ID)
		f.forget(groupsEndpoint, legacyGroupExternalID(g.Name))
		return false, nil
	}
	if err != nil {
		return false, err
	}
	want := make(map[string]bool, len(members))
	for _, m := range members {
		want[m] = true
	}
	var ops []patchOp
	if cur.DisplayName != g.Name {
		ops = append(ops, patchOp{Op: "replace", Path: "displayName", Value: g.Name})
	}

	var add []map[string]string
	for _, m := range cur.Members {
		if !want[m.Value] {
			lit, err := json.Marshal(m.Value)
			if err != nil {
				return false, fmt.Errorf("push: encode member: %w", err)
			}
			ops = append(ops, patchOp{Op: "remove", Path: "members[value eq " + string(lit) + "]"})
		}
		delete(want, m.Value)
	}
	for _, m := range members {
		if want[m] {
			add = append(add, map[string]string{"value": m})
		}
	}
	if len(add) > 0 {
		ops = append(ops, patchOp{Op: "add", Path: "members", Value: add})
	}
	if len(ops) == 0 {
		return true, nil
	}
	err = f.c.patch(ctx, groupsEndpoint+"/"+id, ops...)
	if isStatus(err, http.StatusNotFound) {
		f.forget(groupsEndpoint, g.ID)
		f.forget(groupsEndpoint, legacyGroupExternalID(g.Name))
		return false, nil
	}
	return err == nil, err
}

// upsert makes the downstream resource with externalId extID equal to body:
// a PUT (RFC 7644, section 3.5.1) when the downstream has one, else a POST
// (section 3.3). It returns the downstream's id.
func (f *Follower) upsert(ctx context.Context, endpoint, extID string, body map[string]any) (string, error) {
	id, ok, err := f.downstreamID(ctx, endpoint, extID)
	if err != nil {
		return "", err
	}
	if ok {
		err := f.c.do(ctx, http.MethodPut, endpoint+"/"+id, nil, body, nil)
		if !isStatus(err, http.StatusNotFound) {
			return id, err
		}
		// Deleted downstream behind our back: create it again.
		f.forget(endpoint, extID)
	}
	var created resource
	err = f.c.do(ctx, http.MethodPost, endpoint, nil, body, &created)
	if isStatus(err, http.StatusConflict) {
		// Someone (an earlier attempt whose answer was lost) created it
		// meanwhile: replace it.
		id, ok, lerr := f.downstreamID(ctx, endpoint, extID)
		if lerr != nil || !ok {
			return "", err
		}
		return id, f.c.do(ctx, http.MethodPut, endpoint+"/"+id, nil, body, nil)
	}
	if err != nil {
		return "", err
	}
	if created.ID == "" {
		return "", fmt.Errorf("push: POST %s: answer without id", endpoint)
	}
	f.remember(endpoint, extID, created.ID)
	return created.ID, nil
}

// removeUser deactivates or deletes, as configured, the downstream user of
// the deleted Usher user id.
func (f *Follower) removeUser(ctx context.Context, userID string) error {
	id, ok, err := f.downstreamID(ctx, usersEndpoint, userID)
	if err != nil || !ok {
		return err
	}
	// The store dropped the user's memberships with it, without member
	// events: push the groups that still list the user downstream.
	groups, err := f.c.query(ctx, groupsEndpoint, "members[value eq %s]", id, f.cfg.PageSize)
	var he *HTTPError
	if errors.As(err, &he) && (he.StatusCode == http.StatusBadRequest || he.StatusCode == http.StatusNotImplemented) {
		// The downstream cannot filter groups by member: the user is
		// removed all the same, and Reconcile mends the groups.
		f.log.Warn("push: downstream cannot find a deleted user's groups", "follower", f.cfg.Name,
			"user_id", userID, "err", err)
		groups, err = nil, nil
	}
	if err != nil {
		return err
	}
	for _, g := range groups {
		if g.ExternalID == "" {
			continue
		}
		if err := f.syncGroupByExternalID(ctx, g.ExternalID); err != nil {
			return err
		}
	}
	if err := f.removeUserByID(ctx, id); err != nil {
		return err
	}
	if f.cfg.DeleteMode == Delete {
		f.forget(usersEndpoint, userID)
	}
	f.log.Debug("push: user removed", "follower", f.cfg.Name, "user_id", userID, "mode", string(f.cfg.DeleteMode))
	return nil
}

func (f *Follower) removeUserByID(ctx context.Context, id string) error {
	var err error
	if f.cfg.DeleteMode == Delete {
		err = f.c.do(ctx, http.MethodDelete, usersEndpoint+"/"+id, nil, nil, nil)
	} else {
		err = f.c.patch(ctx, usersEndpoint+"/"+id, patchOp{Op: "replace", Path: "active", Value: false})
	}
	if isStatus(err, http.StatusNotFound) {
		return nil
	}
	return err
}

// removeGroup deletes the downstream group of the deleted Usher group
// with ID groupID (empty when the change gave none), or, when none is
// found under it, the one a release before group IDs pushed under name.
func (f *Follower) removeGroup(ctx context.Context, groupID, name string) error {
	for _, extID := range []string{groupID, legacyGroupExternalID(name)} {
		if extID == "" {
			continue
		}
		if extID != groupID && groupID != "" {
			// The legacy name may since belong to another group.
			if _, err := f.src.GetGroup(ctx, name); err == nil {
				return nil
			} else if !errors.Is(err, userstore.ErrNotFound) {
				return fmt.Errorf("push: read group: %w", err)
			}
		}
		id, ok, err := f.downstreamID(ctx, groupsEndpoint, extID)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		err = f.c.do(ctx, http.MethodDelete, groupsEndpoint+"/"+id, nil, nil, nil)
		if err != nil && !isStatus(err, http.StatusNotFound) {
			return err
		}
		f.forget(groupsEndpoint, extID)
		return nil
	}
	return nil
}

// downstreamID returns the downstream's id of the resource with externalId
// extID, from the cache or by a lookup.
func (f *Follower) downstreamID(ctx context.Context, endpoint, extID string) (string, bool, error) {
	if id, ok := f.ids[endpoint+"\x00"+extID]; ok {
		return id, true, nil
	}
	r, ok, err := f.c.findByExternalID(ctx, endpoint, extID)
	if err != nil || !ok {
		return "", false, err
	}
	f.remember(endpoint, extID, r.ID)
	return r.ID, true, nil
}

func (f *Follower) remember(endpoint, extID, id string) {
	if len(f.ids) >= maxCachedIDs {
		clear(f.ids)
	}
	f.ids[endpoint+"\x00"+extID] = id
}

func (f *Follower) forget(endpoint, extID string) { delete(f.ids, endpoint+"\x00"+extID) }

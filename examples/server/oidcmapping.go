package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/usher-sdk/usher/claims"
)

// settingOIDCMapping names the usher_server_settings row of the claim and
// group-to-role mapping an admin saved over -oidc-config's; no row (or an
// empty value) means the file's.
const settingOIDCMapping = "oidc-mapping"

// maxMappingBytes bounds a saved mapping's JSON.
const maxMappingBytes = 64 << 10

// oidcClients holds the OpenID Connect clients made from -oidc-config:
// the admin sign-in's and the onboarding requirement's. Both use the
// file's mapping unless an admin saved one (admin page, Claim mapping),
// and are made again when the saved mapping changes — also when another
// process changed it: each use reads the setting's row, one point read.
type oidcClients struct {
	a      *app
	file   claims.Config // as read from -oidc-config
	states claims.StateStore

	mu           sync.Mutex
	raw          string // the saved mapping the clients were made from; "" for the file's
	admin        *claims.Client
	adminHandler http.Handler
	device       *claims.Client
}

// openOIDCClients reads -oidc-config and makes the clients (nothing when
// it is not set).
func (a *app) openOIDCClients(ctx context.Context) error {
	if a.cfg.OIDCConfig == "" {
		return nil
	}
	cfg, err := a.readOIDCConfig()
	if err != nil {
		return err
	}
	states, err := claims.NewSQLStates(ctx, a.db, false) // migrated with the others
	if err != nil {
		return err
	}
	o := &oidcClients{a: a, file: cfg, states: states}
	if _, err := o.build(cfg.Mapping); err != nil {
		return fmt.Errorf("oidc-config %s: %w", a.cfg.OIDCConfig, err)
	}
	// A saved mapping that cannot be used does not stop the server: the
	// admin page says so and offers the file's again.
	if _, err := o.current(ctx); err != nil {
		a.logger.WarnContext(ctx, "oidc clients", "err", err)
	}
	a.oidcClients = o
	return nil
}

// oidcSet is one generation of the clients.
type oidcSet struct {
	admin        *claims.Client
	adminHandler http.Handler
	device       *claims.Client
	saved        bool // the mapping is an admin's, not the file's
}

// build makes both clients with mapping m.
func (o *oidcClients) build(m claims.Mapping) (oidcSet, error) {
	opts := []claims.Option{claims.WithStateStore(o.states), claims.WithLogger(o.a.logger)}
	admin := o.file
	admin.Mapping = m
	if admin.RedirectURL == "" {
		admin.RedirectURL = o.a.baseURL() + "/admin/oidc/callback"
	}
	ac, err := claims.New(admin, opts...)
	if err != nil {
		return oidcSet{}, err
	}
	device := o.file
	device.Mapping = m
	device.RedirectURL = o.a.baseURL() + deviceOIDCCallback
	dc, err := claims.New(device, opts...)
	if err != nil {
		return oidcSet{}, err
	}
	return oidcSet{admin: ac, adminHandler: ac.Handler(o.a.oidcSignedIn), device: dc}, nil
}

// current returns the clients of the mapping in force.
func (o *oidcClients) current(ctx context.Context) (oidcSet, error) {
	raw, err := o.a.server.setting(ctx, settingOIDCMapping)
	if err != nil {
		return oidcSet{}, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.admin != nil && raw == o.raw {
		return oidcSet{admin: o.admin, adminHandler: o.adminHandler, device: o.device, saved: raw != ""}, nil
	}
	m := o.file.Mapping
	if raw != "" {
		m = claims.Mapping{}
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			return oidcSet{}, fmt.Errorf("oidc mapping in the database: %w", err)
		}
	}
	set, err := o.build(m)
	if err != nil {
		if raw == "" {
			return oidcSet{}, fmt.Errorf("oidc-config %s: %w", o.a.cfg.OIDCConfig, err)
		}
		return oidcSet{}, fmt.Errorf("oidc mapping in the database: %w", err)
	}
	o.raw, o.admin, o.adminHandler, o.device = raw, set.admin, set.adminHandler, set.device
	set.saved = raw != ""
	return set, nil
}

// save checks m (as claims.New does) and stores it for every process; nil
// drops the saved mapping, so that the file's is used again.
func (o *oidcClients) save(ctx context.Context, m *claims.Mapping, by string) error {
	if m == nil {
		return o.a.server.putSetting(ctx, settingOIDCMapping, "", by)
	}
	if _, err := o.build(*m); err != nil {
		return err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return o.a.server.putSetting(ctx, settingOIDCMapping, string(b), by)
}

// serveAdminSignIn serves claims' sign-in handler of the client in force.
func (o *oidcClients) serveAdminSignIn(w http.ResponseWriter, r *http.Request) {
	set, err := o.current(r.Context())
	if err != nil {
		o.a.logger.ErrorContext(r.Context(), "oidc clients", "err", err)
		http.Error(w, "OpenID Connect sign-in is not available; the server's log has the detail", http.StatusInternalServerError)
		return
	}
	set.adminHandler.ServeHTTP(w, r)
}

// mappingRow is one line of a mapping table.
type mappingRow struct {
	From string   `json:"from"`
	To   []string `json:"to"`
}

// mappingView is one client's effective mapping, defaults applied, as
// the admin page and the API show it.
type mappingView struct {
	Use          string       `json:"use"` // what the client is for
	Issuer       string       `json:"issuer"`
	ClientID     string       `json:"clientId"`
	RedirectURL  string       `json:"redirectUrl"`
	Claims       []mappingRow `json:"claims"`  // claim → field, by claim
	IDClaim      string       `json:"idClaim"` // when no claim maps to masterId
	GroupsClaim  string       `json:"groupsClaim"`
	GroupRoles   []mappingRow `json:"groupRoles"` // group → roles, by group
	DefaultRoles []string     `json:"defaultRoles"`
}

// viewMapping shows c's mapping with claims' defaults applied.
func viewMapping(use string, c *claims.Client) mappingView {
	cfg := c.Config()
	m := cfg.Mapping
	v := mappingView{Use: use, Issuer: cfg.Issuer, ClientID: cfg.ClientID, RedirectURL: cfg.RedirectURL,
		IDClaim: m.IDClaim, GroupsClaim: m.GroupsClaim, DefaultRoles: m.DefaultRoles,
		Claims: []mappingRow{}, GroupRoles: []mappingRow{}}
	cm := m.Claims
	if cm == nil {
		cm = claims.DefaultClaims()
	}
	for _, k := range slices.Sorted(maps.Keys(cm)) {
		v.Claims = append(v.Claims, mappingRow{From: k, To: []string{cm[k]}})
	}
	if v.IDClaim == "" {
		v.IDClaim = claims.DefaultIDClaim
	}
	if v.GroupsClaim == "" {
		v.GroupsClaim = claims.DefaultGroupsClaim
	}
	for _, g := range slices.Sorted(maps.Keys(m.GroupRoles)) {
		v.GroupRoles = append(v.GroupRoles, mappingRow{From: g, To: m.GroupRoles[g]})
	}
	if v.DefaultRoles == nil {
		v.DefaultRoles = []string{}
	}
	return v
}

// mappingsData is what the claim mapping page and API show.
type mappingsData struct {
	// File is -oidc-config's path; "" when no OIDC client is configured.
	File string `json:"file,omitempty"`
	// Saved says the mapping is one an admin saved, not the file's.
	Saved   bool          `json:"saved"`
	Clients []mappingView `json:"clients"`
	// Mapping is the mapping in force as JSON, for the edit form.
	Mapping string `json:"-"`
	// AdminRole is the role the admin sign-in asks for.
	AdminRole string `json:"adminRole,omitempty"`
	// Broken says why the saved mapping cannot be used ("" when it can):
	// OpenID Connect sign-ins fail until it is replaced or dropped.
	Broken string `json:"broken,omitempty"`
}

// mappings reads what the page and the API show.
func (a *app) mappings(ctx context.Context) (mappingsData, error) {
	d := mappingsData{Clients: []mappingView{}}
	if a.oidcClients == nil {
		return d, nil
	}
	d.File, d.AdminRole = a.cfg.OIDCConfig, a.cfg.OIDCAdminRole
	set, err := a.oidcClients.current(ctx)
	if err != nil {
		raw, rerr := a.server.setting(ctx, settingOIDCMapping)
		if rerr != nil || raw == "" {
			return d, err
		}
		d.Saved, d.Broken, d.Mapping = true, err.Error(), raw
		return d, nil
	}
	d.Saved = set.saved
	d.Clients = append(d.Clients, viewMapping("admin sign-in", set.admin), viewMapping("onboarding requirement oidc", set.device))
	b, err := json.MarshalIndent(set.admin.Config().Mapping, "", "  ")
	if err != nil {
		return d, err
	}
	d.Mapping = string(b)
	return d, nil
}

// mappingsAPI: GET /api/v1/oidc/mapping → the effective claim and
// group-to-role mapping of each OpenID Connect client, and whether it is
// -oidc-config's or one an admin saved.
func (a *app) mappingsAPI(w http.ResponseWriter, r *http.Request) {
	d, err := a.mappings(r.Context())
	if err != nil {
		writeStoreError(w, a.logger, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// mappingPage: GET /admin/claims, the mapping tables.
func (a *app) mappingPage(w http.ResponseWriter, r *http.Request) {
	a.renderMapping(w, r, http.StatusOK, "", "", "")
}

// renderMapping shows the mapping page; form, when not "", is the JSON
// the admin sent (not saved).
func (a *app) renderMapping(w http.ResponseWriter, r *http.Request, status int, notice, errMsg, form string) {
	d, err := a.mappings(r.Context())
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	if form != "" {
		d.Mapping = form
	}
	a.render(w, r, status, "claims.html", page{Title: "Claim and group-to-role mapping", Notice: notice, Error: errMsg, Data: d})
}

// saveMappingForm: POST /admin/claims saves the mapping's JSON for every
// process (checked as claims.New checks it; every problem shown, nothing
// saved when one is wrong); POST /admin/claims with reset=true drops it,
// so that -oidc-config's is used again.
func (a *app) saveMappingForm(w http.ResponseWriter, r *http.Request) {
	if a.oidcClients == nil {
		a.renderMapping(w, r, http.StatusNotFound, "", "No OpenID Connect client is configured (-oidc-config).", "")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxMappingBytes+4096)
	if err := r.ParseForm(); err != nil {
		a.renderMapping(w, r, http.StatusBadRequest, "", "The form could not be read.", "")
		return
	}
	sess, _ := sessionOf(r.Context())
	if r.PostForm.Get("reset") == "true" {
		if err := a.oidcClients.save(r.Context(), nil, sess.Username); err != nil {
			a.pageError(w, r, err)
			return
		}
		a.auditAdmin(r, "admin.oidc_mapping_reset", "", nil)
		a.renderMapping(w, r, http.StatusOK, "The mapping of "+a.cfg.OIDCConfig+" is in force again, in every server process.", "", "")
		return
	}
	raw := strings.TrimSpace(r.PostForm.Get("mapping"))
	var m claims.Mapping
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if len(raw) > maxMappingBytes || dec.Decode(&m) != nil || dec.More() || !bytes.HasPrefix([]byte(raw), []byte("{")) {
		a.renderMapping(w, r, http.StatusBadRequest, "", `Not saved: the mapping is a JSON object like {"claims": {"email": "email"}, "groupRoles": {"Usher admins": ["usher-admin"]}, "defaultRoles": []}.`, raw)
		return
	}
	if err := a.oidcClients.save(r.Context(), &m, sess.Username); err != nil {
		a.renderMapping(w, r, http.StatusBadRequest, "", "Not saved: "+strings.ReplaceAll(err.Error(), "\n", "; "), raw)
		return
	}
	a.auditAdmin(r, "admin.oidc_mapping_saved", "", nil)
	a.renderMapping(w, r, http.StatusOK, "Saved; every server process maps sign-ins with it from now on.", "", "")
}

package syncapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strings"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/internal/httpjson"
)

// Client is the agent's side of the protocol: a directory.SyncTarget and
// BatchSyncTarget whose target is a server's NewHandler, so that
// directory.Sync writes to a server on another machine as to a local
// store. Its methods are safe for concurrent use.
type Client struct {
	// BaseURL is where the handler is mounted, e.g.
	// "https://usher.example.com/api/sync".
	BaseURL string
	// Token is the bearer token of the application's authentication.
	Token string
	// Organization is sent as the Usher-Organization header.
	Organization string
	// HTTPClient makes the requests; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Parallel is how many batches of changes a sync keeps in flight at
	// once (directory.ParallelBatchTarget), so that the server decodes
	// and verifies one while it writes the one before; 0 means 2. The
	// server writes one batch at a time either way.
	Parallel int
}

// ParallelBatches is Parallel, or 2 when it is not set.
func (c *Client) ParallelBatches() int {
	if c.Parallel > 0 {
		return c.Parallel
	}
	return 2
}

var (
	_ directory.ParallelBatchTarget = (*Client)(nil)
	_ directory.BatchSyncTarget     = (*Client)(nil)
	_ directory.SyncBatchLookup     = (*Client)(nil)
	_ directory.SyncRecordLookup    = (*Client)(nil)
)

// StatusError is an answer other than the one expected.
type StatusError struct {
	Status  int
	Code    string // the JSON error code, when the answer had one
	Message string
}

func (e *StatusError) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("syncapi: server answered %d %s: %s", e.Status, e.Code, e.Message)
	}
	return fmt.Sprintf("syncapi: server answered %d: %s", e.Status, e.Message)
}

func (c *Client) http() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return http.DefaultClient
}

func (c *Client) do(ctx context.Context, method, path, contentType string, body io.Reader) (*http.Response, error) {
	base, err := url.Parse(strings.TrimRight(c.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("syncapi: BaseURL %q is not an http(s) URL", c.BaseURL)
	}
	req, err := http.NewRequestWithContext(ctx, method, base.String()+path, body)
	if err != nil {
		return nil, fmt.Errorf("syncapi: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set(OrganizationHeader, c.Organization)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return nil, fmt.Errorf("syncapi: %s %s: %w", method, path, err)
	}
	return resp, nil
}

// statusError reads an error answer.
func statusError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	var e httpjson.ErrorBody
	if json.Unmarshal(b, &e) == nil && e.Error != "" {
		return &StatusError{Status: resp.StatusCode, Code: e.Error, Message: e.Message}
	}
	return &StatusError{Status: resp.StatusCode, Message: strings.TrimSpace(string(b))}
}

// UploadKey registers the organization's public key (PEM). The same key
// again is not an error; another key is a *StatusError with Status 409.
func (c *Client) UploadKey(ctx context.Context, pemData []byte) error {
	resp, err := c.do(ctx, http.MethodPost, "/keys", "application/x-pem-file", bytes.NewReader(pemData))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return statusError(resp)
	}
	return nil
}

// Synced streams the records the server holds for source. The stream
// stops at the first error, which it yields, and honours break.
func (c *Client) Synced(ctx context.Context, source string) iter.Seq2[directory.SyncedRecord, error] {
	return func(yield func(directory.SyncedRecord, error) bool) {
		resp, err := c.do(ctx, http.MethodGet, "/records?source="+url.QueryEscape(source), "", nil)
		if err != nil {
			yield(directory.SyncedRecord{}, err)
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			yield(directory.SyncedRecord{}, statusError(resp))
			return
		}
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			var wr wireRecord
			if err := json.Unmarshal(sc.Bytes(), &wr); err != nil {
				yield(directory.SyncedRecord{}, fmt.Errorf("syncapi: records: %w", err))
				return
			}
			if wr.Error != "" {
				yield(directory.SyncedRecord{}, fmt.Errorf("syncapi: records: the server: %s", wr.Error))
				return
			}
			if !yield(directory.SyncedRecord{Record: wr.Record, Signature: wr.Signature}, nil) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			yield(directory.SyncedRecord{}, fmt.Errorf("syncapi: records: %w", err))
		}
	}
}

// SyncedRecords returns the records the server holds for those of
// source's users whose external IDs are given, keyed by external ID
// (directory.SyncBatchLookup: Sync compares a batch at a time through it,
// and AutoSync skips unchanged users of a change batch), MaxBatch IDs per
// request.
func (c *Client) SyncedRecords(ctx context.Context, source string, externalIDs []string) (map[string]directory.SyncedRecord, error) {
	out := make(map[string]directory.SyncedRecord, len(externalIDs))
	for start := 0; start < len(externalIDs); start += MaxBatch {
		ids := externalIDs[start:min(start+MaxBatch, len(externalIDs))]
		b, err := json.Marshal(lookupRequest{Source: source, ExternalIDs: ids})
		if err != nil {
			return nil, fmt.Errorf("syncapi: %w", err)
		}
		resp, err := c.do(ctx, http.MethodPost, "/records/lookup", "application/json", bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		var res struct {
			Records []wireRecord `json:"records"`
		}
		if resp.StatusCode != http.StatusOK {
			err = statusError(resp)
		} else {
			err = json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&res)
		}
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("syncapi: records lookup: %w", err)
		}
		for _, wr := range res.Records {
			out[wr.Record.ExternalID] = directory.SyncedRecord{Record: wr.Record, Signature: wr.Signature}
		}
	}
	return out, nil
}

// SyncedRecord returns the record the server holds for one user
// (directory.SyncRecordLookup).
func (c *Client) SyncedRecord(ctx context.Context, source, externalID string) (directory.SyncedRecord, bool, error) {
	found, err := c.SyncedRecords(ctx, source, []string{externalID})
	if err != nil {
		return directory.SyncedRecord{}, false, err
	}
	sr, ok := found[externalID]
	return sr, ok, nil
}

// ApplySync pushes one change; see ApplySyncBatch.
func (c *Client) ApplySync(ctx context.Context, ch directory.SyncChange, sig string) error {
	return c.ApplySyncBatch(ctx, []directory.SignedChange{{Change: ch, Signature: sig}})[0]
}

// ApplySyncBatch pushes changes, MaxBatch per request, and returns one
// error per change: nil when the server applied it, an error wrapping
// directory.ErrBadSignature when it refused the signature, another error
// when it refused the change or the request failed (then every change of
// that request and after it gets the error: none of them is known to be
// applied, and applying them again is harmless).
func (c *Client) ApplySyncBatch(ctx context.Context, changes []directory.SignedChange) []error {
	errs := make([]error, len(changes))
	for start := 0; start < len(changes); start += MaxBatch {
		end := min(start+MaxBatch, len(changes))
		if err := c.push(ctx, changes[start:end], errs[start:end]); err != nil {
			for i := start; i < len(changes); i++ {
				errs[i] = err
			}
			return errs
		}
	}
	return errs
}

func (c *Client) push(ctx context.Context, changes []directory.SignedChange, errs []error) error {
	body := struct {
		Changes []wireChange `json:"changes"`
	}{make([]wireChange, len(changes))}
	for i, ch := range changes {
		body.Changes[i] = toWire(ch)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("syncapi: %w", err)
	}
	resp, err := c.do(ctx, http.MethodPost, "/changes", "application/json", bytes.NewReader(b))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return statusError(resp)
	}
	var res struct {
		Results []result `json:"results"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&res); err != nil {
		return fmt.Errorf("syncapi: changes: %w", err)
	}
	if len(res.Results) != len(changes) {
		return fmt.Errorf("syncapi: changes: %d results for %d changes", len(res.Results), len(changes))
	}
	for i, r := range res.Results {
		switch r.Error {
		case "":
		case resultBadSignature:
			errs[i] = fmt.Errorf("%w: the server: %s", directory.ErrBadSignature, r.Message)
		default:
			errs[i] = errors.New("syncapi: the server refused the change: " + r.Message)
		}
	}
	return nil
}

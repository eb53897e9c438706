-- The organization whose signed records the sync API accepts: one per
-- server, registered by the sync agent's init (POST /api/sync/keys).
CREATE TABLE usher_server_sync_keys (
	org_id     TEXT PRIMARY KEY,
	public_key TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created_at BIGINT NOT NULL
);

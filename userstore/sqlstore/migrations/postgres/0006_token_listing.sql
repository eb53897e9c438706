-- Usher userstore schema, version 6, PostgreSQL: an index for listing every
-- user's tokens of a kind in ListTokens' order (created_at, then hash), so
-- that a page is one range read however many tokens there are.

CREATE INDEX usher_tokens_kind_created ON usher_tokens (realm, kind, created_at, hash);

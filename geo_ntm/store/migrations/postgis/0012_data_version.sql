-- The data version (one row), raised by every write transaction of the store: the ETags of the
-- HTTP answers are built on it (api/caching.py), so any write makes them stale.
CREATE TABLE IF NOT EXISTS data_version (
  id integer PRIMARY KEY CHECK (id = 1),
  version bigint NOT NULL,
  changed_at timestamptz NOT NULL
);
INSERT INTO data_version VALUES (1, 1, date_trunc('second', now())) ON CONFLICT (id) DO NOTHING;
COMMENT ON TABLE data_version IS 'Version of the stored data, raised by every write';

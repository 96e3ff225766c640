-- The answers of long computations (the per-commune coverage tables and their totals), stored once
-- per question and content version (the latest import id: any import makes older answers stale) so
-- that every API worker and every later request answers from them.
CREATE TABLE computed_results (
  question text NOT NULL,
  content_version integer NOT NULL,
  topic text NOT NULL,
  computed_at timestamptz NOT NULL,
  totals text NOT NULL,
  communes text NOT NULL,
  PRIMARY KEY (question, content_version)
);
COMMENT ON TABLE computed_results IS 'Answers of long computations: a question (canonical JSON), the content version it was computed on, its totals and per-commune table (JSON)';

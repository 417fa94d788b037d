-- Access-log retention (issue 3 item 6): entries older than audit.log_retention_days may be
-- purged, oldest first, by audit_purge. The chain then starts at access_log_base: the first kept
-- id and the hash of the last purged entry (also written into the chain by a "log.purge" entry,
-- which audit_verify compares). Deleting below that point is the only delete the table allows.
CREATE TABLE access_log_base (
    one        INTEGER PRIMARY KEY CHECK (one = 1),
    first_id   INTEGER NOT NULL,
    prev_hash  TEXT NOT NULL,
    purged_at  INTEGER NOT NULL,
    purged_by  TEXT NOT NULL
);
DROP TRIGGER access_log_no_delete;
CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
WHEN old.id >= coalesce((SELECT first_id FROM access_log_base), 1)
BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END;

-- Reviews outlive the entries they reviewed (an entry id stays a reference into the purged
-- past), so audit_reviews loses its foreign key.
CREATE TABLE audit_reviews_new (
    id           INTEGER PRIMARY KEY,
    entry_id     INTEGER NOT NULL,
    reviewer     TEXT NOT NULL,
    finding      TEXT NOT NULL,
    approved_by  TEXT NOT NULL,
    reviewed_at  INTEGER NOT NULL
);
INSERT INTO audit_reviews_new SELECT id, entry_id, reviewer, finding, approved_by, reviewed_at
    FROM audit_reviews;
DROP TABLE audit_reviews;
ALTER TABLE audit_reviews_new RENAME TO audit_reviews;
CREATE INDEX audit_reviews_entry ON audit_reviews(entry_id);

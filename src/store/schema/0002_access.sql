-- Access control and the access log (DESIGN.md §4 rules 1, 2 and 7; issue 3).
-- Secrets are never stored in clear: pw_hash is an argon2id string, token_hash / csrf_hash /
-- key_hash are SHA-256 hex of random tokens handed out once.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    full_name     TEXT NOT NULL DEFAULT '',
    job_title     TEXT NOT NULL DEFAULT '',
    agency        TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL CHECK (role IN ('admin','investigator','operator','auditor','custodian')),
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','suspended','separated')),
    pw_hash       TEXT NOT NULL,
    approved_by   TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    last_login    INTEGER,                      -- last successful login, UTC ms (inactivity rule)
    failed_count  INTEGER NOT NULL DEFAULT 0,   -- consecutive failed logins since the last success
    locked_until  INTEGER NOT NULL DEFAULT 0,   -- UTC ms; logins refused before this
    status_at     INTEGER NOT NULL              -- when status last changed
);

CREATE TABLE training (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    course       TEXT NOT NULL,
    completed    INTEGER NOT NULL,              -- UTC ms, midnight of the completion date
    recorded_by  TEXT NOT NULL,
    recorded_at  INTEGER NOT NULL
);
CREATE INDEX training_user ON training(user_id, completed);

CREATE TABLE sessions (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    csrf_hash   TEXT NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    client      TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,               -- absolute end (created_at + max lifetime)
    ended_at    INTEGER                         -- logout, or ended by an account change
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE unit_keys (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    key_hash    TEXT NOT NULL UNIQUE,
    added_by    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER,
    revoked_by  TEXT
);

-- The access log: append-only and hash-chained. hash = SHA-256(prev_hash || canonical entry);
-- the first entry's prev_hash is 64 zeros. AUTOINCREMENT keeps sqlite_sequence as a second
-- witness of the highest id ever written (a deleted tail shows as a gap against it).
CREATE TABLE access_log (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    ts            INTEGER NOT NULL,
    username      TEXT,
    agency        TEXT,
    action        TEXT NOT NULL,
    query         TEXT,
    purpose       TEXT,
    case_no       TEXT,
    result_count  INTEGER NOT NULL DEFAULT -1,
    client        TEXT,
    outcome       TEXT NOT NULL,
    detail        TEXT,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL
);
CREATE INDEX access_log_ts ON access_log(ts);
CREATE INDEX access_log_user ON access_log(username, ts);

-- Nothing in the product updates or deletes log rows; these make an accidental attempt fail
-- loudly. (Someone with the file can drop them: audit_verify is what catches that.)
CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END;
CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END;

-- Reviews of sampled searches (policy 472.6 c): who reviewed, what they found, who approved.
CREATE TABLE audit_reviews (
    id           INTEGER PRIMARY KEY,
    entry_id     INTEGER NOT NULL REFERENCES access_log(id),
    reviewer     TEXT NOT NULL,
    finding      TEXT NOT NULL,
    approved_by  TEXT NOT NULL,
    reviewed_at  INTEGER NOT NULL
);
CREATE INDEX audit_reviews_entry ON audit_reviews(entry_id);

-- Hotlists, their entries, import history and alerts (issue 4; docs/hotlists.md).
CREATE TABLE hotlists (
    id                  INTEGER PRIMARY KEY,
    name                TEXT NOT NULL UNIQUE,
    source              TEXT NOT NULL DEFAULT 'local',   -- import (state/NCIC file) or local
    priority            INTEGER NOT NULL DEFAULT 5,       -- 0 highest
    alert_level         TEXT NOT NULL DEFAULT 'high',     -- high, medium, low, silent
    covert              INTEGER NOT NULL DEFAULT 0,       -- hits go to the owners only
    default_expiry_days INTEGER NOT NULL DEFAULT 30,      -- for entries made by hand
    hit_retention_days  INTEGER NOT NULL DEFAULT 365,     -- alerts of this list kept this long
    import_path         TEXT,                             -- scheduled re-import source, or NULL
    import_map          TEXT,                             -- its column mapping (--map syntax)
    created_by          TEXT NOT NULL DEFAULT '',
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);

CREATE TABLE hotlist_owners (
    hotlist_id INTEGER NOT NULL REFERENCES hotlists(id) ON DELETE CASCADE,
    username   TEXT NOT NULL,
    PRIMARY KEY (hotlist_id, username)
) WITHOUT ROWID;

-- plate: normalized plate, or pattern (? *) when is_pattern. state '' = any. origin 'import'
-- rows are replaced by each import; 'hand' rows expire (expires NULL = never).
CREATE TABLE hotlist_entries (
    id          INTEGER PRIMARY KEY,
    hotlist_id  INTEGER NOT NULL REFERENCES hotlists(id) ON DELETE CASCADE,
    plate       TEXT NOT NULL,
    is_pattern  INTEGER NOT NULL DEFAULT 0,
    state       TEXT NOT NULL DEFAULT '',
    plate_type  TEXT NOT NULL DEFAULT '',
    reason      TEXT NOT NULL DEFAULT '',
    ncic        TEXT NOT NULL DEFAULT '',
    ori         TEXT NOT NULL DEFAULT '',
    case_no     TEXT NOT NULL DEFAULT '',
    make        TEXT NOT NULL DEFAULT '',
    model       TEXT NOT NULL DEFAULT '',
    year        TEXT NOT NULL DEFAULT '',
    color       TEXT NOT NULL DEFAULT '',
    expires     INTEGER,
    origin      TEXT NOT NULL DEFAULT 'import',
    entered_by  TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX hotlist_entries_list ON hotlist_entries(hotlist_id, origin);

CREATE TABLE hotlist_imports (
    id          INTEGER PRIMARY KEY,
    hotlist_id  INTEGER NOT NULL REFERENCES hotlists(id) ON DELETE CASCADE,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER NOT NULL,
    file        TEXT NOT NULL,
    by          TEXT NOT NULL,                 -- username, or "schedule"
    outcome     TEXT NOT NULL,                 -- ok, partial (--skip-bad), refused, failed
    lines       INTEGER NOT NULL,
    loaded      INTEGER NOT NULL,
    bad         INTEGER NOT NULL,
    detail      TEXT                           -- first errors
);
CREATE INDEX hotlist_imports_list ON hotlist_imports(hotlist_id, id);

-- One row per hit; read and entry kept as JSON snapshots (imports clear entries).
CREATE TABLE alerts (
    id              INTEGER PRIMARY KEY,
    read_id         INTEGER NOT NULL,
    entry_id        INTEGER NOT NULL,
    hotlist_id      INTEGER NOT NULL,
    match           TEXT NOT NULL,              -- exact, misread, pattern
    state_mismatch  INTEGER NOT NULL,
    covert          INTEGER NOT NULL,
    priority        INTEGER NOT NULL,
    read_json       TEXT NOT NULL,
    entry_json      TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'unverified',
    note            TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    acknowledged_at INTEGER,
    acknowledged_by TEXT,
    verified_at     INTEGER,
    verified_by     TEXT
);
CREATE INDEX alerts_created ON alerts(created_at);
CREATE INDEX alerts_list ON alerts(hotlist_id, created_at);
CREATE UNIQUE INDEX alerts_hit ON alerts(read_id, entry_id);

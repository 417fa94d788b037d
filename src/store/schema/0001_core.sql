-- The core of the data model (DESIGN.md §5): settings, cameras, the plate dictionary, reads.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE cameras (
    id    INTEGER PRIMARY KEY,
    name  TEXT NOT NULL UNIQUE,
    kind  TEXT NOT NULL DEFAULT 'fixed',          -- fixed or mobile
    lat   REAL,
    lon   REAL,
    created_at INTEGER NOT NULL
);

-- Distinct plate strings; reads point here. Pattern and misread-tolerant searches scan these.
CREATE TABLE plates (
    id   INTEGER PRIMARY KEY,
    text TEXT NOT NULL UNIQUE
);

CREATE TABLE reads (
    id          INTEGER PRIMARY KEY,
    uuid        BLOB NOT NULL,                    -- 16 bytes; a retried upload never duplicates
    plate_id    INTEGER NOT NULL REFERENCES plates(id),
    state       TEXT NOT NULL DEFAULT '',
    ts          INTEGER NOT NULL,                 -- UTC milliseconds
    camera_id   INTEGER NOT NULL REFERENCES cameras(id),
    lat         REAL,
    lon         REAL,
    heading     REAL,
    confidence  REAL NOT NULL,
    candidates  TEXT,                             -- JSON array of {plate, confidence}
    plate_image TEXT,                             -- SHA-256 hex of the JPEG in the image store
    scene_image TEXT,
    vehicle     TEXT,                             -- JSON object: make, model, color
    ingested_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX reads_uuid ON reads(uuid);
CREATE INDEX reads_plate_ts ON reads(plate_id, ts);
CREATE INDEX reads_ts ON reads(ts);

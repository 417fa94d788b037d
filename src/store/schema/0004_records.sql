-- Records (issue 5): holds for cases, evidence exports, data-sharing requests, the purge log,
-- and the queue of images whose last reader may have been purged.

-- A hold keeps reads past retention while a case needs them. Only an approved hold protects
-- its reads; a released hold stays on file (status 'released') for the record.
CREATE TABLE holds (
  id INTEGER PRIMARY KEY,
  case_no TEXT NOT NULL,
  reason TEXT NOT NULL,
  contact TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending'
  CHECK (status IN ('pending', 'approved', 'released')),
  query TEXT,
  opened_by TEXT NOT NULL,
  opened_at INTEGER NOT NULL,
  review_at INTEGER NOT NULL,
  approved_by TEXT,
  approved_at INTEGER,
  released_by TEXT,
  released_at INTEGER,
  release_reason TEXT
);
CREATE INDEX holds_status ON holds(status, review_at);

-- No foreign key to reads: a pending or released hold's reads may be purged, and the item
-- stays as the record of what was selected.
CREATE TABLE hold_items (
  hold_id INTEGER NOT NULL REFERENCES holds(id),
  read_id INTEGER NOT NULL,
  PRIMARY KEY (hold_id, read_id)
) WITHOUT ROWID;
CREATE INDEX hold_items_read ON hold_items(read_id, hold_id);

-- Data-sharing requests (policy 472.7). Never deleted: every request stays on file.
CREATE TABLE sharing_requests (
  id INTEGER PRIMARY KEY,
  agency TEXT NOT NULL,
  agency_type TEXT NOT NULL
  CHECK (agency_type IN ('law_enforcement', 'prosecutor', 'other_public',
  'private', 'federal')),
  state TEXT NOT NULL,
  requester TEXT NOT NULL,
  contact TEXT NOT NULL,
  purpose TEXT NOT NULL DEFAULT '',
  case_no TEXT NOT NULL DEFAULT '',
  scope_plates TEXT NOT NULL DEFAULT '[]',
  scope_from INTEGER,
  scope_to INTEGER,
  scope_lat REAL,
  scope_lon REAL,
  scope_radius_m REAL,
  document BLOB,
  document_sha256 TEXT,
  status TEXT NOT NULL
  CHECK (status IN ('pending', 'approved', 'denied', 'referred', 'fulfilled')),
  reason TEXT NOT NULL DEFAULT '',
  received_by TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  decided_by TEXT,
  decided_at INTEGER,
  approval_expires INTEGER,
  fulfilled_by TEXT,
  fulfilled_at INTEGER,
  export_id INTEGER
);
CREATE INDEX sharing_requests_agency ON sharing_requests(agency, id);

-- One row per evidence export or sharing fulfilment.
CREATE TABLE exports (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('hold', 'request')),
  hold_id INTEGER REFERENCES holds(id),
  request_id INTEGER REFERENCES sharing_requests(id),
  case_no TEXT NOT NULL,
  exported_by TEXT NOT NULL,
  exported_at INTEGER NOT NULL,
  path TEXT NOT NULL,
  manifest_sha256 TEXT NOT NULL,
  reads INTEGER NOT NULL,
  images INTEGER NOT NULL
);

-- One row per purge run (dry runs too). Counts only: never plate numbers.
CREATE TABLE purge_log (
  id INTEGER PRIMARY KEY,
  started_at INTEGER NOT NULL,
  finished_at INTEGER NOT NULL,
  cutoff INTEGER NOT NULL,
  hit_cutoff INTEGER NOT NULL,
  reads_deleted INTEGER NOT NULL,
  images_deleted INTEGER NOT NULL,
  held_kept INTEGER NOT NULL,
  hits_kept INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  dry_run INTEGER NOT NULL,
  run_by TEXT NOT NULL
);

-- Images referenced by purged reads, waiting for the sweep that deletes those no remaining read
-- references. Persistent so that a purge interrupted between the reads and the files finishes
-- the files on its next run.
CREATE TABLE purge_image_queue (
  sha TEXT PRIMARY KEY
) WITHOUT ROWID;

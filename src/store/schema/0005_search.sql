-- Search (src/search, docs/search.md): a coarse geographic cell per read and an index on
-- (cell, ts) for area + time searches ("canvass").
--
-- cell is a virtual generated column (computed, never stored in the row, so ingest writes
-- nothing new): 0.01 degree of latitude x 0.01 degree of longitude (about 1.1 km x 0.9 km here),
-- NULL for reads without a position. store_geo_cell() in src/store/reads_query.c computes the
-- same value in C; the two formulas must stay identical.
--
-- The index carries lat, lon and camera_id so that a canvass decides the exact distance and
-- the camera filter from the index alone, without touching the reads rows. A 1 km x 24 h
-- canvass then reads a few short index ranges (one per cell) instead of every read of the day
-- (the (ts) index) or an R*Tree, whose maintenance cut batched inserts four-fold (DESIGN.md §5).
ALTER TABLE reads ADD COLUMN cell INTEGER GENERATED ALWAYS AS
    (CAST((lat + 90.0) * 100.0 AS INTEGER) * 36001 + CAST((lon + 180.0) * 100.0 AS INTEGER))
    VIRTUAL;
CREATE INDEX reads_cell_ts ON reads(cell, ts, lat, lon, camera_id);

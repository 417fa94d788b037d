-- Ingest (src/ingest, docs/ingest.md): read identity by (ts, uuid) instead of uuid alone.
--
-- A unique index on a random 16-byte uuid puts every new read on a random leaf page of a
-- B-tree as large as the reads table has rows: at a thousand reads per commit, a thousand
-- scattered pages are dirtied, written to the WAL, fsynced and checkpointed on every commit,
-- and once that index outgrows the page cache each insert also reads a page from disk. Reads
-- arrive roughly in time order, so an index that leads with ts is appended to at its right
-- edge: a few pages per commit, whatever the table's size.
--
-- A retried upload repeats the read as it was (the same uuid and the same timestamp), so
-- (ts, uuid) recognises every retry that uuid alone recognised; two reads with the same uuid
-- and different timestamps are different reads.
--
-- reads_ts(ts) goes too: (ts, uuid) has ts as its prefix and serves every ts range the same
-- way (the retention purge's ORDER BY ts, id sorts only reads with equal ts), and one index
-- less is one B-tree insert less per read (about 8 % of ingest CPU, 17 bytes per read).
DROP INDEX reads_uuid;
DROP INDEX reads_ts;
CREATE UNIQUE INDEX reads_ts_uuid ON reads(ts, uuid);

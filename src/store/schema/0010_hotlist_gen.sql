-- Hotlist imports stage their entries under a new generation in short transactions and switch the
-- list to it in one small one (docs/hotlists.md), so a 2 M-line import never holds the write lock
-- for long while ingest waits. Visible entries: origin 'hand', or gen = the list's active_gen.
ALTER TABLE hotlists ADD COLUMN active_gen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hotlists ADD COLUMN last_gen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hotlist_entries ADD COLUMN gen INTEGER NOT NULL DEFAULT 0;
DROP INDEX hotlist_entries_list;
CREATE INDEX hotlist_entries_gen ON hotlist_entries(hotlist_id, gen);

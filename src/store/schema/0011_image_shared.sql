-- Images: the image files that more than one reference was ever made to, so that the purge's
-- image sweep need not scan every remaining read (docs/records.md).
--
-- An image file is named by its content's hash, and store_image_put writes it only when it is not
-- there yet: the put that finds the file present records its hash here, in the same write
-- transaction as the read that refers to it. A queued hash that is not here had one reference
-- only, the purged read's, and its file can go at once; the sweep scans the reads only for the
-- hashes listed here (identical JPEG bytes are rare: they come from one frame sent twice), and
-- takes a hash off the list when it deletes its file.
--
-- A database from before this migration: every hash that two remaining references (or a queued
-- one and a remaining one, or two queued ones) name counts as shared.
CREATE TABLE image_shared (
  sha TEXT PRIMARY KEY
) WITHOUT ROWID;
INSERT INTO image_shared(sha)
  SELECT sha FROM (
    SELECT plate_image AS sha FROM reads WHERE plate_image IS NOT NULL AND plate_image <> ''
    UNION ALL
    SELECT scene_image FROM reads WHERE scene_image IS NOT NULL AND scene_image <> ''
    UNION ALL
    SELECT sha FROM purge_image_queue)
  GROUP BY sha HAVING count(*) > 1;

-- Records: the image queue becomes append-only (rowid order, duplicates allowed, removed in
-- ranges by the sweep), so that a purge batch appends its images' hashes to the end of one
-- b-tree instead of inserting them at random places of a hash-keyed one.
DROP TABLE purge_image_queue;
CREATE TABLE purge_image_queue (
  id INTEGER PRIMARY KEY,
  sha TEXT NOT NULL
);

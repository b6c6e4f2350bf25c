-- The subject index compares subject ids byte by byte: an id has no linguistic order, and under
-- the database's collation every comparison of the indexer's sort and of the index's B-tree was
-- a locale comparison (and PostgreSQL's abbreviated sort keys were off). Rewrites the table
-- once. Decision ids keep the database's collation: they are joined with `access_decisions`.
ALTER TABLE decision_subjects ALTER COLUMN subject TYPE TEXT COLLATE "C";

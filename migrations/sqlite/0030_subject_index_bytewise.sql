-- PostgreSQL's subject index moves to byte-wise comparison in this migration; SQLite's already
-- compares text byte by byte (BINARY), so there is nothing to change here.
SELECT 1;

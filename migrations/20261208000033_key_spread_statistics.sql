-- An organization's page reads its invitations and its subscriptions'
-- devices in subqueries keyed by the outer row, which PostgreSQL estimates
-- from ANALYZE's count of distinct keys: when a few organizations hold most
-- invitations (a bulk enrolment of 1,000 learners) or one subscription most
-- devices (a large fleet), it takes every organization for as big and scans
-- the whole table for each page instead of using the index (measured on the
-- 100,000-organization bench: 0.3 ms per page at 5,000 invitations, 1.1 ms
-- at 11,000 devices, growing with the tables). Each key holds a small share
-- of the rows: stated here as about a hundred rows per key (as many keys
-- as 1 % of the rows), which every later ANALYZE keeps.
ALTER TABLE invitations ALTER COLUMN organization_id SET (n_distinct = -0.01);
ALTER TABLE devices ALTER COLUMN subscription_id SET (n_distinct = -0.01);
ANALYZE invitations;
ANALYZE devices;

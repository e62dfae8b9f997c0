-- On SQLite this version stores usage_daily in primary-key order (WITHOUT
-- ROWID) so that a range of days is read in one pass. PostgreSQL has no
-- such tables and reads the range through its primary key as before: the
-- version only records that, so both dialects keep the same numbers.
COMMENT ON TABLE usage_daily IS 'Usage per tenant, UTC day, folder, connector and connection; servers add their in-memory counts every few seconds.';

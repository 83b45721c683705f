-- An archived flow is kept (its report and messages stay readable) but out of the way: it is
-- stopped as a draft and listed apart. Deletion is for flows no run is still inside.
ALTER TABLE flows ADD COLUMN archived_at timestamptz;

-- Each segment's member count once a day (the day in the store's timezone), written after the
-- scheduled evaluation and when a segment is created; a later pass the same day overwrites it.
CREATE TABLE segment_counts (
  store_id uuid NOT NULL,
  segment_id uuid NOT NULL,
  day date NOT NULL,
  members integer NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, segment_id, day),
  FOREIGN KEY (store_id, segment_id) REFERENCES segments (store_id, id) ON DELETE CASCADE
);

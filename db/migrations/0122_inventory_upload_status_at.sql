-- When an inventory upload entered its current status, so the page of one
-- waiting for the background worker can tell how long it has waited, stop
-- refreshing itself after a while and say so.
ALTER TABLE inventory_uploads ADD COLUMN status_at timestamptz NOT NULL DEFAULT now();

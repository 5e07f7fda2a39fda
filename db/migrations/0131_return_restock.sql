-- Units refunded after shipping go back into the seller's stock only when
-- they came back: an operator's refund of a lost or broken parcel writes
-- them off (restocked = false). A seller accepting a return takes the units
-- back, as before.
ALTER TABLE return_requests ADD COLUMN restocked boolean NOT NULL DEFAULT true;

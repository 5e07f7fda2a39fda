-- Settling a dispute (models/order_dispute.py): an operator may refund a
-- placed order down to nothing, which cancels it; the cancellation is then
-- the operator's. The state names of orders are unchanged.
ALTER TABLE orders DROP CONSTRAINT orders_cancelled_by_check,
    ADD CONSTRAINT orders_cancelled_by_check CHECK (cancelled_by IN ('buyer', 'seller', 'operator'));

-- Cart, checkout, orders and flash sales: the indexes their pages read.
-- (The tables themselves are in 0001_core.)

-- A seller's fulfilled orders, newest first (the open ones have
-- orders_seller_open, all of them orders_seller).
CREATE INDEX orders_seller_fulfilled ON orders (seller_id, created_at DESC, id DESC)
    WHERE fulfilled_at IS NOT NULL;

-- Upcoming flash sales for the home page, soonest first (live ones are
-- read through flash_sales_ends).
CREATE INDEX flash_sales_starts ON flash_sales (starts_at);


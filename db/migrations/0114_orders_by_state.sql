-- The console's "orders by state" chart: the orders of the last 30 days by
-- the state they are in now. A state moves after its day closed, so no
-- daily summary can hold it; but delivered is where almost every order
-- ends and stays. So only the others are counted, an index-only range scan
-- of this partial index (the orders still open or cancelled: a fraction of
-- a month's orders), and delivered is the month's total orders (from the
-- daily summaries, platform_days) less them (bench/console.py).
CREATE INDEX orders_created_undelivered ON orders (created_at) INCLUDE (state) WHERE state <> 'delivered';

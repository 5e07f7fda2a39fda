-- The console lists every offer of a product (on sale or not) by id; the
-- shop's offers_product_price holds only active ones, so without this a
-- product's page in the console walked the offers' primary key (200 ms at
-- three million offers, bench/console.py).
CREATE INDEX offers_product ON offers (product_id, id);

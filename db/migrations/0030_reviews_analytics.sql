-- Reviews, analytics and recommendations: the seller rating histogram, a
-- per-seller sales summary and the indexes their pages read through.

-- Seller star histogram (1..5), kept with seller_rating_count/_sum in the
-- same transaction as each seller review change.
ALTER TABLE users ADD COLUMN seller_rating_hist integer[] NOT NULL DEFAULT '{0,0,0,0,0}'
    CHECK (cardinality(seller_rating_hist) = 5);

-- "Best sellers" and the recommendation candidates: the top of this index.
CREATE INDEX products_best_selling ON products (units_sold DESC, id DESC);

-- Product reviews sorted "highest first" (newest first among equal ratings);
-- "lowest first" reads product_reviews_rating from 0001 forwards.
CREATE INDEX product_reviews_highest ON product_reviews (product_id, rating DESC, created_at DESC, id DESC);

-- Revenue and spending by month read these without touching table rows
-- (index-only scans); the buyer's one also lists their order ids.
CREATE INDEX orders_buyer_created ON orders (buyer_id, created_at) INCLUDE (id, subtotal);
CREATE INDEX orders_seller_created ON orders (seller_id, created_at) INCLUDE (subtotal);

-- Units and revenue of each seller per product over all time, for seller
-- analytics (sales by category, best-selling products). Summing a big
-- seller's order lines on each request measured 130-180 ms at a million
-- lines; this table makes each one index range per seller. Kept by the
-- triggers below, in the transaction that writes the order lines: checkout
-- has already locked the offer and the product row (same seller and
-- product) by then, so the summary row adds no new lock order.
-- category_id is the product's current category (copied for an index-only
-- "by category"; no foreign key, so a sale takes no lock on the category).
CREATE TABLE seller_product_sales (
    seller_id       bigint NOT NULL REFERENCES users (id),
    product_id      bigint NOT NULL REFERENCES products (id),
    category_id     integer NOT NULL,
    units           bigint NOT NULL CHECK (units >= 0),
    revenue         numeric(14,2) NOT NULL CHECK (revenue >= 0),
    PRIMARY KEY (seller_id, product_id) INCLUDE (category_id, units, revenue)
);
CREATE INDEX seller_product_sales_top ON seller_product_sales (seller_id, units DESC, revenue DESC, product_id);
CREATE INDEX seller_product_sales_product ON seller_product_sales (product_id);

CREATE FUNCTION order_lines_count_sales() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE seller_product_sales s
           SET units = s.units - OLD.quantity, revenue = s.revenue - OLD.quantity * OLD.unit_price
          FROM offers o
         WHERE o.id = OLD.offer_id AND s.seller_id = o.seller_id AND s.product_id = OLD.product_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO seller_product_sales AS s (seller_id, product_id, category_id, units, revenue)
        SELECT o.seller_id, NEW.product_id, p.category_id, NEW.quantity, NEW.quantity * NEW.unit_price
          FROM offers o JOIN products p ON p.id = NEW.product_id
         WHERE o.id = NEW.offer_id
        ON CONFLICT (seller_id, product_id) DO UPDATE
           SET units = s.units + EXCLUDED.units, revenue = s.revenue + EXCLUDED.revenue;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER order_lines_count_sales
    AFTER INSERT OR DELETE OR UPDATE OF offer_id, product_id, quantity, unit_price ON order_lines
    FOR EACH ROW EXECUTE FUNCTION order_lines_count_sales();

-- A product moved to another category takes its sales along. (The product
-- row is locked first, as in checkout, so the two cannot deadlock.)
CREATE FUNCTION products_move_sales() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE seller_product_sales SET category_id = NEW.category_id WHERE product_id = NEW.id;
    RETURN NULL;
END $$;

CREATE TRIGGER products_move_sales
    AFTER UPDATE OF category_id ON products
    FOR EACH ROW WHEN (OLD.category_id IS DISTINCT FROM NEW.category_id)
    EXECUTE FUNCTION products_move_sales();

-- Rebuild the summary from the order lines: for the sales recorded before
-- this migration, and after any bulk load that ran with triggers off (the
-- data generator must call it).
CREATE FUNCTION refresh_seller_product_sales() RETURNS void
LANGUAGE sql AS $$
    DELETE FROM seller_product_sales;
    INSERT INTO seller_product_sales (seller_id, product_id, category_id, units, revenue)
    SELECT o.seller_id, l.product_id, p.category_id, sum(l.quantity), sum(l.quantity * l.unit_price)
      FROM order_lines l JOIN offers o ON o.id = l.offer_id JOIN products p ON p.id = l.product_id
     GROUP BY o.seller_id, l.product_id, p.category_id;
$$;

SELECT refresh_seller_product_sales();

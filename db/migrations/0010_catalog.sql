-- Catalog browsing and search, and sellers' inventories.
--
-- Every list of products is ordered by one of five sorts, overall or within
-- a category, so each sort has an index in both shapes: a page is then an
-- index range scan that stops after LIMIT rows, whatever the catalog size.

-- The average rating, stored so it can be indexed and sorted on.
-- Products without ratings have NULL and sort last.
ALTER TABLE products ADD COLUMN rating_avg numeric(3,2) GENERATED ALWAYS AS (
    CASE WHEN rating_count > 0 THEN round(rating_sum::numeric / rating_count, 2) END) STORED;

-- Keyword search: name words carry weight A, description words weight B, so
-- one GIN index answers both "matches anywhere" and "matches the name"
-- (a query with :A labels). Stored, so filtering candidates in an ordered
-- index scan costs no re-parsing of the text.
ALTER TABLE products ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', name), 'A') ||
    setweight(to_tsvector('english', description), 'B')) STORED;
DROP INDEX products_search;
CREATE INDEX products_search_vector ON products USING gin (search_vector);
-- Name searches use search_vector too (:A labels, and prefixes so "kett"
-- finds kettles). The trigram index goes: the planner cannot estimate
-- ILIKE '%..%' and would pick it to start a seller's or buyer's small join
-- from the whole catalog (seconds at a million products for two letters).
DROP INDEX products_name_trgm;

-- The overall "best selling" order reads products_best_selling
-- (units_sold DESC, id DESC), created by 0030_reviews_analytics.
CREATE INDEX products_price_asc ON products (min_price ASC NULLS LAST, id);
CREATE INDEX products_price_desc ON products (min_price DESC NULLS LAST, id DESC);
CREATE INDEX products_rating ON products (rating_avg DESC NULLS LAST, id DESC);

CREATE INDEX products_category_best_selling ON products (category_id, units_sold DESC, id DESC);
CREATE INDEX products_category_price_asc ON products (category_id, min_price ASC NULLS LAST, id);
CREATE INDEX products_category_price_desc ON products (category_id, min_price DESC NULLS LAST, id DESC);
CREATE INDEX products_category_rating ON products (category_id, rating_avg DESC NULLS LAST, id DESC);

-- A seller's inventory and public page, newest offer first.
CREATE INDEX offers_seller ON offers (seller_id, id DESC);

-- "Did you mean ...": the distinct words of product names, for trigram
-- similarity. A trigram index over a million product names answers a short
-- misspelt word with tens of thousands of candidates ("pot" is in every
-- teapot); over the few thousand distinct words it is a short GiST
-- nearest-neighbour scan (PostgreSQL's pg_trgm documentation suggests
-- exactly this table, built with ts_stat).
--
-- Words are lower case runs of letters and digits with at least one letter,
-- 3 to 40 characters: what keywords() in app/models/product.py produces,
-- less what trigrams cannot help with. A word stays after its last product
-- is renamed: a suggestion then finds nothing, which is harmless, and
-- keeping the table append-only keeps the triggers cheap.
CREATE TABLE search_words (
    word text PRIMARY KEY
);
CREATE INDEX search_words_trgm ON search_words USING gist (word gist_trgm_ops);

CREATE FUNCTION words_of(name text) RETURNS SETOF text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT DISTINCT w FROM regexp_split_to_table(lower(name), '[^[:alnum:]]+') w
    WHERE length(w) BETWEEN 3 AND 40 AND w ~ '[[:alpha:]]'
$$;

-- New products: one statement-level pass over the inserted rows, so a bulk
-- INSERT ... SELECT adds its words once.
CREATE FUNCTION products_add_search_words() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_words (word)
    SELECT DISTINCT w FROM new_products, words_of(new_products.name) w
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER products_search_words_insert AFTER INSERT ON products
    REFERENCING NEW TABLE AS new_products
    FOR EACH STATEMENT EXECUTE FUNCTION products_add_search_words();

-- Renamed products: row level, and only when the name changes, because the
-- aggregates on products (min_price, units_sold, ratings) change far more
-- often than names.
CREATE FUNCTION product_renamed_add_search_words() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_words (word) SELECT w FROM words_of(NEW.name) w ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER products_search_words_rename AFTER UPDATE OF name ON products
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION product_renamed_add_search_words();

-- After a bulk load with triggers off (the data generator, benchmarks):
-- SELECT refresh_search_words().
CREATE FUNCTION refresh_search_words() RETURNS void
LANGUAGE sql AS $$
    INSERT INTO search_words (word)
    SELECT DISTINCT w FROM products, words_of(products.name) w
    ON CONFLICT DO NOTHING;
$$;
SELECT refresh_search_words();

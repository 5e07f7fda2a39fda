-- Inventory files create new products too (issue 19): a row with neither
-- offer_id nor product_id but a product_name and a category stages the new
-- product's name, category and description; applying creates it, then its
-- offer, in the import's one transaction.
ALTER TABLE inventory_upload_rows
    ALTER COLUMN product_id DROP NOT NULL,
    ADD COLUMN new_name text CHECK (length(new_name) BETWEEN 1 AND 200),
    ADD COLUMN category_id integer,
    ADD COLUMN description text CHECK (length(description) <= 5000),
    ADD CHECK (product_id IS NOT NULL OR (new_name IS NOT NULL AND category_id IS NOT NULL));

-- "Is this product already on Souk?": creating a product looks up the same
-- name (case-insensitive) in the chosen category, one index probe at any
-- catalog size.
CREATE INDEX products_category_lower_name ON products (category_id, lower(name));

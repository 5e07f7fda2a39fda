-- Flash sales at the database's limit: units held in carts, checkout's
-- contended part in one round trip, and the sales tallies summed later.
-- (app/models/checkout.py explains the lock order.)

-- Units held in carts ---------------------------------------------------------
-- Adding a live flash-sale offer to the cart takes its units at once: off the
-- offer's stock (offers.quantity) and into the sale's count of units taken
-- (flash_sales.units_sold, which from now on counts units sold *or held*).
-- Checkout of held units then writes neither row: it cannot fail for stock.
-- A hold whose time is up (expires_at <= now(), never after the sale's end)
-- is stale: its units belong to the offer and the sale again, and every read
-- of "units left" adds them back at once; they are given back for good by
-- the next take of the offer, or by the periodic job.
CREATE TABLE sale_holds (
    offer_id        bigint NOT NULL REFERENCES offers (id),
    buyer_id        bigint NOT NULL REFERENCES users (id),
    sale_id         bigint NOT NULL REFERENCES flash_sales (id),
    units           integer NOT NULL CHECK (units > 0),
    expires_at      timestamptz NOT NULL,
    PRIMARY KEY (offer_id, buyer_id)
);
CREATE INDEX sale_holds_expiry ON sale_holds (offer_id, expires_at) INCLUDE (units, sale_id);
CREATE INDEX sale_holds_due ON sale_holds (expires_at);
CREATE INDEX sale_holds_buyer ON sale_holds (buyer_id);
CREATE INDEX sale_holds_sale ON sale_holds (sale_id, expires_at) INCLUDE (units);

COMMENT ON COLUMN flash_sales.units_sold IS
    'units taken: sold (flash_sale_buyers) plus held in carts (sale_holds)';

-- A sale that ends earlier ends its holds with it.
CREATE FUNCTION flash_sales_end_holds() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE sale_holds SET expires_at = NEW.ends_at WHERE sale_id = NEW.id AND expires_at > NEW.ends_at;
    RETURN NULL;
END $$;

CREATE TRIGGER flash_sales_end_holds
    AFTER UPDATE OF ends_at ON flash_sales
    FOR EACH ROW WHEN (NEW.ends_at < OLD.ends_at)
    EXECUTE FUNCTION flash_sales_end_holds();

-- What reads show of a sale: units left (stale holds count as free at
-- once), units held in carts now, and units sold.
CREATE FUNCTION sale_units_left(s flash_sales) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT s.units_total - s.units_sold
           + coalesce((SELECT sum(units) FROM sale_holds h WHERE h.sale_id = s.id AND h.expires_at <= now()),
                      0)::int;
$$;
CREATE FUNCTION sale_units_held(s flash_sales) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT sum(units) FROM sale_holds h WHERE h.sale_id = s.id AND h.expires_at > now()),
                    0)::int;
$$;
CREATE FUNCTION sale_units_bought(s flash_sales) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT s.units_sold - coalesce((SELECT sum(units) FROM sale_holds h WHERE h.sale_id = s.id), 0)::int;
$$;

-- Give the stale holds of an offer back: the offer's row is locked first
-- (the first hot row of every take), then the holds go, then the sales.
CREATE FUNCTION reclaim_holds(p_offer bigint) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    back integer := 0;
    gone record;
BEGIN
    PERFORM 1 FROM offers WHERE id = p_offer FOR NO KEY UPDATE;
    FOR gone IN
        WITH deleted AS (DELETE FROM sale_holds WHERE offer_id = p_offer AND expires_at <= now()
                         RETURNING sale_id, units)
        SELECT sale_id, sum(units)::int AS units FROM deleted GROUP BY sale_id ORDER BY sale_id
    LOOP
        back := back + gone.units;
        UPDATE flash_sales SET units_sold = units_sold - gone.units WHERE id = gone.sale_id;
    END LOOP;
    IF back > 0 THEN
        UPDATE offers SET quantity = quantity + back WHERE id = p_offer;
    END IF;
    RETURN back;
END $$;

-- Stop the caller's transaction with a reason the app reads (db.Refused):
-- SQLSTATE P0001, message 'refused', DETAIL the reason, HINT the offer.
CREATE FUNCTION refuse(p_reason text, p_offer bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'refused' USING DETAIL = p_reason, HINT = coalesce(p_offer::text, '');
END $$;

-- Take `p_quantity` units of an offer (and of its live sale `p_sale`, or
-- NULL) for `p_buyer`, at the price read: the contended part of a hold and
-- of an unheld checkout line. Returns NULL, or why nothing was taken:
-- 'lost_race' (the offer changed, or its stock is short) or 'sale_sold_out'.
CREATE FUNCTION take_units(p_offer bigint, p_buyer bigint, p_quantity integer, p_price numeric,
                           p_sale bigint) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM sale_holds WHERE offer_id = p_offer AND expires_at <= now()) THEN
        PERFORM reclaim_holds(p_offer);
    END IF;
    UPDATE offers SET quantity = quantity - p_quantity
     WHERE id = p_offer AND active AND seller_id <> p_buyer AND quantity >= p_quantity AND price = p_price;
    IF NOT FOUND THEN
        RETURN 'lost_race';
    END IF;
    IF p_sale IS NOT NULL THEN
        UPDATE flash_sales SET units_sold = units_sold + p_quantity
         WHERE id = p_sale AND starts_at <= now() AND ends_at > now()
           AND units_sold + p_quantity <= units_total;
        IF NOT FOUND THEN
            RETURN 'sale_sold_out';
        END IF;
    END IF;
    RETURN NULL;
END $$;

-- Make the buyer's hold on a live sale's offer `p_units` (0: release it),
-- for `p_ttl` at most and never past the sale's end, counting what the
-- buyer already bought against the per-customer limit. The caller holds
-- the buyer's checkout lock. Refuses (see refuse) with 'lost_race',
-- 'sale_sold_out' or 'sale_limit'.
CREATE FUNCTION set_hold(p_buyer bigint, p_offer bigint, p_sale bigint, p_units integer, p_price numeric,
                         p_limit integer, p_ttl interval) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    problem text;
    expires timestamptz;
    held integer;
    bought integer;
    sale_end timestamptz;
BEGIN
    SELECT units INTO held FROM sale_holds
     WHERE offer_id = p_offer AND buyer_id = p_buyer AND expires_at > now();
    held := coalesce(held, 0);
    SELECT coalesce((SELECT units FROM flash_sale_buyers WHERE sale_id = p_sale AND buyer_id = p_buyer), 0)
      INTO bought;
    IF p_units > 0 AND bought + p_units > p_limit THEN
        PERFORM refuse('sale_limit', p_offer);
    END IF;
    IF p_units > held THEN
        problem := take_units(p_offer, p_buyer, p_units - held, p_price, p_sale);
        IF problem IS NOT NULL THEN
            PERFORM refuse(problem, p_offer);
        END IF;
    ELSIF p_units < held THEN
        -- Units given back: the offer's row first, as every take locks it.
        UPDATE offers SET quantity = quantity + (held - p_units) WHERE id = p_offer;
        UPDATE flash_sales SET units_sold = units_sold - (held - p_units) WHERE id = p_sale;
    END IF;
    IF p_units = 0 THEN
        DELETE FROM sale_holds WHERE offer_id = p_offer AND buyer_id = p_buyer AND expires_at > now();
        RETURN;
    END IF;
    SELECT ends_at INTO sale_end FROM flash_sales WHERE id = p_sale;
    expires := least(now() + p_ttl, sale_end);
    -- A stale hold of the buyer's was given back by take_units above.
    INSERT INTO sale_holds (offer_id, buyer_id, sale_id, units, expires_at)
    VALUES (p_offer, p_buyer, p_sale, p_units, expires)
    ON CONFLICT (offer_id, buyer_id) DO UPDATE
        SET units = EXCLUDED.units, expires_at = EXCLUDED.expires_at, sale_id = EXCLUDED.sale_id;
END $$;

-- Sales tallies summed later ----------------------------------------------------
-- products.units_sold and seller_product_sales were updated by every
-- checkout: one hot row per product for every buyer of a flash sale. Order
-- lines now append what they change to sales_pending (no lock on anything
-- shared), and fold_pending_sales() adds it to both tallies: the periodic
-- job every few seconds, and seller analytics before it reads. So a
-- tally plus its pending rows equals the order lines at every moment.
CREATE TABLE sales_pending (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seller_id       bigint NOT NULL,
    product_id      bigint NOT NULL,
    units           bigint NOT NULL,
    revenue         numeric(14,2) NOT NULL
);
CREATE INDEX sales_pending_seller ON sales_pending (seller_id);
CREATE INDEX sales_pending_product ON sales_pending (product_id);

CREATE OR REPLACE FUNCTION order_lines_count_sales() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO sales_pending (seller_id, product_id, units, revenue)
        SELECT o.seller_id, OLD.product_id, -(OLD.quantity - OLD.cancelled_quantity - OLD.returned_quantity),
               -(OLD.quantity - OLD.cancelled_quantity - OLD.returned_quantity) * OLD.unit_price
          FROM offers o WHERE o.id = OLD.offer_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO sales_pending (seller_id, product_id, units, revenue)
        SELECT o.seller_id, NEW.product_id, NEW.quantity - NEW.cancelled_quantity - NEW.returned_quantity,
               (NEW.quantity - NEW.cancelled_quantity - NEW.returned_quantity) * NEW.unit_price
          FROM offers o WHERE o.id = NEW.offer_id;
    END IF;
    RETURN NULL;
END $$;

-- Add the pending rows to the tallies, in one transaction (one fold at a
-- time). Returns how many (seller, product) pairs it folded.
CREATE FUNCTION fold_pending_sales() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    folded integer;
BEGIN
    PERFORM pg_advisory_xact_lock(5, 0);
    -- One statement (no temporary table: nothing kept on the session). The
    -- summary rows that exist are updated, the others inserted; a new row
    -- with negative units only follows a summary deleted by hand, which
    -- refresh_seller_product_sales rebuilds (the invariant check names it).
    WITH taken AS (DELETE FROM sales_pending RETURNING seller_id, product_id, units, revenue),
    sums AS (SELECT seller_id, product_id, sum(units) AS units, sum(revenue) AS revenue
             FROM taken GROUP BY seller_id, product_id),
    sold AS (UPDATE products p SET units_sold = p.units_sold + f.units
               FROM (SELECT product_id, sum(units) AS units FROM sums GROUP BY product_id) f
              WHERE p.id = f.product_id AND f.units <> 0),
    updated AS (UPDATE seller_product_sales s SET units = s.units + f.units, revenue = s.revenue + f.revenue
                  FROM sums f WHERE s.seller_id = f.seller_id AND s.product_id = f.product_id
                RETURNING s.seller_id, s.product_id),
    inserted AS (INSERT INTO seller_product_sales (seller_id, product_id, category_id, units, revenue)
                 SELECT f.seller_id, f.product_id, p.category_id, f.units, f.revenue
                   FROM sums f JOIN products p ON p.id = f.product_id
                  WHERE f.units >= 0 AND f.revenue >= 0
                    AND NOT EXISTS (SELECT 1 FROM updated u
                                    WHERE u.seller_id = f.seller_id AND u.product_id = f.product_id))
    SELECT count(*) INTO folded FROM sums;
    RETURN folded;
END $$;

CREATE OR REPLACE FUNCTION refresh_seller_product_sales() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fold_pending_sales();
    DELETE FROM seller_product_sales;
    INSERT INTO seller_product_sales (seller_id, product_id, category_id, units, revenue)
    SELECT o.seller_id, l.product_id, p.category_id,
           sum(l.quantity - l.cancelled_quantity - l.returned_quantity),
           sum((l.quantity - l.cancelled_quantity - l.returned_quantity) * l.unit_price)
      FROM order_lines l JOIN offers o ON o.id = l.offer_id JOIN products p ON p.id = l.product_id
     GROUP BY o.seller_id, l.product_id, p.category_id;
END $$;

-- Checkout's writes in one round trip ---------------------------------------------
-- Everything place_order writes, given what it read and checked: the
-- buyer's rows first (purchase, cart, balance and ledger, orders, their
-- money, notices: nobody else waits for them), then the hot rows (held
-- units are converted on the buyer's own hold row; other units are taken
-- from the offer and sale rows with take_units), then the order lines,
-- whose foreign-key checks share-lock rows this transaction holds by then.
-- Lines come sorted by (product_id, offer_id). Refuses (see refuse) the
-- first line or order problem: 'lost_race', 'sale_sold_out', 'sale_limit'
-- (with the offer), 'insufficient_balance'. The app sends COMMIT in the
-- same round trip (db.commit_with), so a hot row's lock is held only while
-- this call runs and the commit is flushed.
CREATE FUNCTION place_order_write(
    p_buyer bigint, p_purchase bigint, p_key text, p_total numeric, p_from_cart boolean, p_ship_to text,
    l_offer bigint[], l_product bigint[], l_seller bigint[], l_quantity integer[], l_offer_price numeric[],
    l_unit_price numeric[], l_sale bigint[], l_limit integer[],
    o_id bigint[], o_seller bigint[], o_subtotal numeric[], o_fee numeric[],
    n_user bigint[], n_kind text[], n_subject text[], n_body text[], n_link text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    problem text;
    new_balance numeric;
    i integer;
    held integer;
    used integer;
BEGIN
    INSERT INTO purchases (id, buyer_id, total, idempotency_key) VALUES (p_purchase, p_buyer, p_total, p_key);
    IF p_from_cart THEN
        DELETE FROM cart_items WHERE user_id = p_buyer AND offer_id = ANY (l_offer);
    END IF;
    UPDATE users SET balance = balance - p_total WHERE id = p_buyer AND balance >= p_total
    RETURNING balance INTO new_balance;
    IF new_balance IS NULL THEN
        PERFORM refuse('insufficient_balance', NULL);
    END IF;
    INSERT INTO ledger_entries (user_id, kind, amount, balance_after, purchase_id)
    VALUES (p_buyer, 'purchase', -p_total, new_balance, p_purchase);
    INSERT INTO orders (id, purchase_id, seller_id, buyer_id, subtotal, shipping_fee, held_amount, ship_to)
    SELECT id, p_purchase, seller_id, p_buyer, subtotal, fee, subtotal + fee, p_ship_to
      FROM unnest(o_id, o_seller, o_subtotal, o_fee) AS o (id, seller_id, subtotal, fee);
    INSERT INTO order_money (order_id, kind, amount)
    SELECT id, 'hold', subtotal + fee FROM unnest(o_id, o_subtotal, o_fee) AS o (id, subtotal, fee);
    INSERT INTO notifications (user_id, kind, subject, body, link)
    SELECT * FROM unnest(n_user, n_kind, n_subject, n_body, n_link);

    FOR i IN 1 .. coalesce(array_length(l_offer, 1), 0) LOOP
        held := 0;
        IF l_sale[i] IS NOT NULL THEN
            -- The buyer's own live hold covers what it can.
            SELECT units INTO held FROM sale_holds
             WHERE offer_id = l_offer[i] AND buyer_id = p_buyer AND sale_id = l_sale[i] AND expires_at > now();
            held := coalesce(held, 0);
        END IF;
        used := least(held, l_quantity[i]);
        IF l_quantity[i] > used THEN
            problem := take_units(l_offer[i], p_buyer, l_quantity[i] - used, l_offer_price[i], l_sale[i]);
            IF problem IS NOT NULL THEN
                PERFORM refuse(problem, l_offer[i]);
            END IF;
        END IF;
        IF used > 0 THEN
            -- The hold row is locked after the offer's (take_units and
            -- reclaim_holds lock in that order); if it went stale and was
            -- given back meanwhile, its units are taken afresh.
            IF used = held THEN
                DELETE FROM sale_holds WHERE offer_id = l_offer[i] AND buyer_id = p_buyer
                   AND units = used AND expires_at > now();
            ELSE
                UPDATE sale_holds SET units = units - used WHERE offer_id = l_offer[i] AND buyer_id = p_buyer
                   AND units > used AND expires_at > now();
            END IF;
            IF NOT FOUND THEN
                problem := take_units(l_offer[i], p_buyer, used, l_offer_price[i], l_sale[i]);
                IF problem IS NOT NULL THEN
                    PERFORM refuse(problem, l_offer[i]);
                END IF;
                held := 0;
            ELSIF NOT EXISTS (SELECT 1 FROM offers WHERE id = l_offer[i] AND active AND price = l_offer_price[i]) THEN
                PERFORM refuse('lost_race', l_offer[i]);
            END IF;
        END IF;
        IF l_sale[i] IS NOT NULL THEN
            -- Bought units count against the limit together with the units
            -- still held (the caller's checkout lock queues this buyer).
            IF l_quantity[i] + held - used > l_limit[i] THEN
                PERFORM refuse('sale_limit', l_offer[i]);
            END IF;
            INSERT INTO flash_sale_buyers AS b (sale_id, buyer_id, units) VALUES (l_sale[i], p_buyer, l_quantity[i])
            ON CONFLICT (sale_id, buyer_id) DO UPDATE SET units = b.units + EXCLUDED.units
                WHERE b.units + EXCLUDED.units + (held - used) <= l_limit[i];
            IF NOT FOUND THEN
                PERFORM refuse('sale_limit', l_offer[i]);
            END IF;
        END IF;
    END LOOP;
    INSERT INTO order_lines (order_id, offer_id, product_id, quantity, unit_price, flash_sale_id)
    SELECT o.id, l.offer_id, l.product_id, l.quantity, l.unit_price, l.sale_id
      FROM unnest(l_offer, l_product, l_seller, l_quantity, l_unit_price, l_sale)
           AS l (offer_id, product_id, seller_id, quantity, unit_price, sale_id)
      JOIN unnest(o_id, o_seller) AS o (id, seller_id) ON o.seller_id = l.seller_id;
END $$;

-- Give back the buyer's live hold on an offer (the line left the cart):
-- the offer's row first, as every take. Returns the units given back.
CREATE FUNCTION release_hold(p_buyer bigint, p_offer bigint) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    gone record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM sale_holds WHERE offer_id = p_offer AND buyer_id = p_buyer) THEN
        RETURN 0;
    END IF;
    PERFORM 1 FROM offers WHERE id = p_offer FOR NO KEY UPDATE;
    DELETE FROM sale_holds WHERE offer_id = p_offer AND buyer_id = p_buyer AND expires_at > now()
    RETURNING sale_id, units INTO gone;
    IF gone IS NULL OR gone.units IS NULL THEN
        RETURN 0;
    END IF;
    UPDATE offers SET quantity = quantity + gone.units WHERE id = p_offer;
    UPDATE flash_sales SET units_sold = units_sold - gone.units WHERE id = gone.sale_id;
    RETURN gone.units;
END $$;

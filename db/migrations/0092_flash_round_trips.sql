-- Fewer round trips for a flash sale's "Add to cart" and checkout.
--
-- Checkout takes three (see app/models/checkout.py): the buyer's lock and
-- lines, then the new ids and the address, then this write. The
-- idempotency key is checked here, under the buyer's lock, instead of in a
-- statement of its own: a key that already bought refuses with 'replayed'
-- and the app answers with that purchase.
CREATE OR REPLACE FUNCTION place_order_write(
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
    IF p_key IS NOT NULL AND EXISTS (SELECT 1 FROM purchases WHERE buyer_id = p_buyer AND idempotency_key = p_key) THEN
        PERFORM refuse('replayed', NULL);
    END IF;
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

-- sales_pending is read whole (fold_pending_sales) or by seller
-- (analytics._fold_for); the index by product only cost every
-- checkout one more index entry.
DROP INDEX sales_pending_product;

-- "Add to cart" after the read that checked the line (app/models/cart.py),
-- committed in the same round trip: adds p_quantity units to the buyer's
-- cart line (never past p_max units in the line: then NULL, nothing
-- changed), then, for a live sale's offer (p_sale), holds all the line's
-- units (set_hold, which refuses what cannot be held; the caller sends its
-- lock on the buyer first, in the same message and transaction). Returns
-- the units now in the line.
CREATE FUNCTION add_line(p_buyer bigint, p_offer bigint, p_sale bigint, p_quantity integer, p_unit_price numeric,
                         p_offer_price numeric, p_limit integer, p_ttl interval, p_max integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    in_cart integer;
BEGIN
    INSERT INTO cart_items AS c (user_id, offer_id, quantity, price_seen)
    VALUES (p_buyer, p_offer, p_quantity, p_unit_price)
    ON CONFLICT (user_id, offer_id) DO UPDATE
        SET quantity = c.quantity + EXCLUDED.quantity, price_seen = EXCLUDED.price_seen
        WHERE c.quantity + EXCLUDED.quantity <= p_max
    RETURNING quantity INTO in_cart;
    IF in_cart IS NOT NULL AND p_sale IS NOT NULL THEN
        PERFORM set_hold(p_buyer, p_offer, p_sale, in_cart, p_offer_price, p_limit, p_ttl);
    END IF;
    RETURN in_cart;
END $$;

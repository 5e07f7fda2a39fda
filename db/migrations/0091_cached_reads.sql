-- Reads of every cart, hold and checkout, with their plans kept.
--
-- The priced lines of a cart (a join of seven tables) cost about 1.3 ms to
-- plan and 0.1 ms to run, and the session user's read 0.3 ms to plan: on a
-- flash sale that planning was a third of the server's work per checkout.
-- Prepared statements cannot be used (PgBouncer in transaction pooling:
-- nothing may be kept on a server session), but a PL/pgSQL function's
-- statements keep their plans in the backend by themselves, with nothing
-- for the client to remember. So both reads move into functions.

-- A buyer's lines priced now: their cart (p_offers NULL), or the given
-- (offer, quantity) pairs (price_seen NULL), ordered by seller then
-- product. Per line: the offer, its product and seller, the seller's
-- shipping settings, and the flash sale live on it at the transaction's
-- time (sales of one offer never overlap, so at most one matches) with
-- what this buyer already bought in it and holds of it. Units held by
-- others in holds whose time is up count as stock and sale units again
-- (they are given back by the next take; see migration 0090), and the
-- buyer's own live hold is theirs: so "units left" is right before any job
-- runs. LEFT JOINs throughout so an unknown offer id still yields its line.
CREATE FUNCTION priced_lines(p_buyer bigint, p_offers bigint[], p_quantities integer[])
RETURNS TABLE (offer_id bigint, quantity integer, price_seen numeric, offer_price numeric, stock integer,
               active boolean, seller_id bigint, product_id bigint, seller_suspended boolean,
               taken_down boolean, product_name text, seller_name text, sale_id bigint, sale_price numeric,
               sale_units_left integer, sale_limit integer, sale_bought integer,
               sale_ends_at timestamptz, held integer, held_until timestamptz,
               ship_fee numeric, ship_free_from numeric)
LANGUAGE plpgsql STABLE
-- The plan does not depend on the arguments: plan once per backend.
SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT i.offer_id, i.quantity, i.price_seen, o.price,
           (o.quantity + coalesce(st.units, 0) + coalesce(hd.units, 0))::integer,
           o.active, o.seller_id, o.product_id,
           o.seller_suspended, o.hidden_reason IS NOT NULL OR o.product_hidden,
           p.name, u.first_name || ' ' || u.last_name,
           s.id, s.sale_price,
           (s.units_total - s.units_sold + coalesce(st.sale_units, 0) + coalesce(hd.units, 0))::integer,
           s.per_customer_limit, coalesce(b.units, 0), s.ends_at,
           coalesce(hd.units, 0), hd.expires_at,
           coalesce(sh.fee, 0.00), sh.free_from
      FROM (SELECT c.offer_id, c.quantity, c.price_seen FROM cart_items c
             WHERE p_offers IS NULL AND c.user_id = p_buyer
            UNION ALL
            SELECT x.offer_id, x.quantity, NULL::numeric
              FROM unnest(p_offers, p_quantities) AS x (offer_id, quantity)) i
      LEFT JOIN offers o ON o.id = i.offer_id
      LEFT JOIN products p ON p.id = o.product_id
      LEFT JOIN users u ON u.id = o.seller_id
      LEFT JOIN seller_shipping sh ON sh.seller_id = o.seller_id
      LEFT JOIN flash_sales s ON s.offer_id = o.id AND s.starts_at <= now() AND s.ends_at > now()
      LEFT JOIN flash_sale_buyers b ON b.sale_id = s.id AND b.buyer_id = p_buyer
      LEFT JOIN sale_holds hd ON hd.offer_id = o.id AND hd.buyer_id = p_buyer AND hd.expires_at > now()
      LEFT JOIN LATERAL (SELECT sum(h.units) AS units,
                                sum(h.units) FILTER (WHERE h.sale_id = s.id) AS sale_units
                           FROM sale_holds h WHERE h.offer_id = o.id AND h.expires_at <= now()) st ON true
     ORDER BY u.first_name || ' ' || u.last_name, o.seller_id, p.name, i.offer_id;
END $$;

-- The user of a live web session (by the SHA-256 of its token) with what
-- every page's header shows: units in the cart, unread notices (counted up
-- to p_unread_cap + 1), whether they ever bought (the home page's
-- recommendations need a purchase) and whether they sell (app/cache.py's
-- shared shopper pages hold nobody's own rows). The app names the
-- user's columns it reads from `account` (models/user.py, USER_COLUMNS).
CREATE FUNCTION session_account(p_token_hash bytea, p_unread_cap integer)
RETURNS TABLE (account users, cart_units bigint, unread_notices bigint, has_orders boolean,
               sells boolean)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    RETURN QUERY
    SELECT u, (SELECT coalesce(sum(c.quantity), 0)::bigint FROM cart_items c WHERE c.user_id = u.id),
           (SELECT count(*) FROM (SELECT 1 FROM notifications n
                                   WHERE n.user_id = u.id AND n.read_at IS NULL
                                   LIMIT p_unread_cap + 1) unread),
           EXISTS (SELECT 1 FROM orders o WHERE o.buyer_id = u.id),
           EXISTS (SELECT 1 FROM offers f WHERE f.seller_id = u.id)
           OR EXISTS (SELECT 1 FROM products p WHERE p.creator_id = u.id)
      FROM user_sessions s JOIN users u ON u.id = s.user_id
     WHERE s.token_hash = p_token_hash AND s.expires_at > now();
END $$;

-- An offer's stock moving from 12 to 11 changes nothing of its product's
-- offer statistics (the cheapest price and the number of sellers of
-- offers in stock), yet every take of a flash sale's unit refreshed them
-- while holding the hot offer's row. The refresh now runs only when an
-- update changes what they count. (In the function, not in a WHEN of the
-- trigger: migration 0110 makes the trigger again.)
CREATE OR REPLACE FUNCTION offers_refresh_product() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.product_id = NEW.product_id AND OLD.price = NEW.price
       AND OLD.active = NEW.active AND (OLD.quantity > 0) = (NEW.quantity > 0) THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM refresh_product_offer_stats(OLD.product_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND (TG_OP = 'INSERT' OR NEW.product_id <> OLD.product_id) THEN
        PERFORM refresh_product_offer_stats(NEW.product_id);
    END IF;
    RETURN NULL;
END $$;

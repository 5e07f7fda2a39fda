-- Operating the marketplace (issue 18): the operator role, suspensions,
-- hiding listings and reviews with a reason, and an audit log nobody can edit.

-- Accounts: the operator flag, and a suspension with its reason.
-- session_epoch is bumped on suspension, which ends the user's sessions.
ALTER TABLE users
    ADD COLUMN is_operator boolean NOT NULL DEFAULT false,
    ADD COLUMN suspended_at timestamptz,
    ADD COLUMN suspension_reason text CHECK (length(suspension_reason) <= 1000);
CREATE INDEX users_operators ON users (id) WHERE is_operator;
CREATE INDEX users_suspended ON users (suspended_at DESC, id DESC) WHERE suspended_at IS NOT NULL;
-- The console finds users by the start of their email.
CREATE INDEX users_email_prefix ON users (lower(email) text_pattern_ops);

-- Offers: `active` stays what every query of the shop reads (the offers box,
-- the product aggregates trigger, cart and checkout), and becomes the
-- conjunction of what the seller wants (`listed`) and what moderation
-- allows. The BEFORE trigger below computes it, so no code path (a seller
-- re-offering a hidden offer, a suspended seller creating one) can put a
-- hidden offer back on sale.
ALTER TABLE offers
    ADD COLUMN listed boolean NOT NULL DEFAULT true,
    ADD COLUMN hidden_reason text CHECK (length(hidden_reason) <= 1000),
    ADD COLUMN seller_suspended boolean NOT NULL DEFAULT false,
    ADD COLUMN product_hidden boolean NOT NULL DEFAULT false;
UPDATE offers SET listed = false WHERE NOT active;

CREATE FUNCTION offers_moderation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- A write of `active` is the seller's wish (stop selling, offer again).
    IF TG_OP = 'INSERT' OR NEW.active IS DISTINCT FROM OLD.active THEN
        NEW.listed := NEW.active;
    END IF;
    IF TG_OP = 'INSERT' THEN
        NEW.seller_suspended := EXISTS (SELECT 1 FROM users
                                        WHERE id = NEW.seller_id AND suspended_at IS NOT NULL);
        NEW.product_hidden := EXISTS (SELECT 1 FROM products
                                      WHERE id = NEW.product_id AND hidden_reason IS NOT NULL);
    END IF;
    NEW.active := NEW.listed AND NEW.hidden_reason IS NULL AND NOT NEW.seller_suspended
                  AND NOT NEW.product_hidden;
    RETURN NEW;
END $$;

-- Products: hidden ones leave every list and their offers leave the shop.
ALTER TABLE products ADD COLUMN hidden_reason text CHECK (length(hidden_reason) <= 1000);
CREATE INDEX products_hidden ON products (id DESC) WHERE hidden_reason IS NOT NULL;

CREATE TRIGGER offers_moderation
    BEFORE INSERT OR UPDATE OF active, listed, hidden_reason, seller_suspended, product_hidden ON offers
    FOR EACH ROW EXECUTE FUNCTION offers_moderation();
CREATE INDEX offers_hidden ON offers (id DESC) WHERE hidden_reason IS NOT NULL;
-- The products' aggregates follow moderation too: a column list names the
-- columns an UPDATE sets, not those a BEFORE trigger changed, so the
-- moderation columns join the list.
DROP TRIGGER offers_refresh_product ON offers;
CREATE TRIGGER offers_refresh_product
    AFTER INSERT OR DELETE OR UPDATE OF product_id, price, quantity, active, listed, hidden_reason,
        seller_suspended, product_hidden ON offers
    FOR EACH ROW EXECUTE FUNCTION offers_refresh_product();

-- Reviews: hidden ones leave the pages and the aggregates.
ALTER TABLE product_reviews ADD COLUMN hidden_reason text CHECK (length(hidden_reason) <= 1000);
ALTER TABLE seller_reviews ADD COLUMN hidden_reason text CHECK (length(hidden_reason) <= 1000);

-- The audit log: one row per operator action (and every suspension, hide
-- and refund), never changed afterwards. actor_id is NULL for the command
-- line; actor_label keeps who it was in words.
CREATE TABLE audit_log (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor_id        bigint REFERENCES users (id),
    actor_label     text NOT NULL CHECK (length(actor_label) BETWEEN 1 AND 300),
    action          text NOT NULL CHECK (action ~ '^[a-z_]{1,40}$'),
    subject_kind    text NOT NULL CHECK (subject_kind ~ '^[a-z_]{1,40}$'),
    subject_id      bigint,
    reason          text NOT NULL DEFAULT '' CHECK (length(reason) <= 1000),
    details         jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_subject ON audit_log (subject_kind, subject_id, id DESC);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id DESC);
CREATE INDEX audit_log_action ON audit_log (action, id DESC);

-- Never editable: the database refuses, whoever asks.
CREATE FUNCTION audit_log_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();

-- The console's dashboard reads recent purchases and sign-ups as index
-- ranges (index-only for the purchases' totals), never whole tables.
CREATE INDEX purchases_created ON purchases (created_at) INCLUDE (total);
CREATE INDEX users_created ON users (created_at);

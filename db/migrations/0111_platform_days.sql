-- The console's platform charts read one row per closed day (UTC) instead
-- of order lines: each day is summarized once, the first time a chart
-- needs it after the day ended (app/models/platform.py), from index ranges
-- of that day's purchases and sign-ups; today is summed live the same way.
-- Figures are as at checkout (gross sales): later refunds do not change a
-- closed day.
CREATE TABLE platform_days (
    day             date PRIMARY KEY,
    purchases       integer NOT NULL CHECK (purchases >= 0),
    orders          integer NOT NULL CHECK (orders >= 0),
    revenue         numeric(14,2) NOT NULL CHECK (revenue >= 0),
    new_users       integer NOT NULL CHECK (new_users >= 0),
    -- Accounts opened that day that listed an offer / bought by its end.
    new_sellers     integer NOT NULL CHECK (new_sellers >= 0),
    new_buyers      integer NOT NULL CHECK (new_buyers >= 0)
);

CREATE TABLE platform_category_days (
    day             date NOT NULL REFERENCES platform_days (day),
    -- No foreign key: a merged category's past days keep its id.
    category_id     integer NOT NULL,
    units           bigint NOT NULL CHECK (units >= 0),
    revenue         numeric(14,2) NOT NULL CHECK (revenue >= 0),
    PRIMARY KEY (day, category_id)
);

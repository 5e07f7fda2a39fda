-- The IANA time zone a user reads and types times in (a profile setting);
-- NULL means the site's default (SOUK_TIMEZONE). The app checks the name
-- with zoneinfo; the CHECK only bounds the text.
ALTER TABLE users ADD COLUMN time_zone text CHECK (length(time_zone) BETWEEN 1 AND 64);

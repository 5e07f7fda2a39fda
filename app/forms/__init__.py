"""Every form of the site, one module per area (accounts, catalog, cart,
purchases, orders, sell, reviews); the custom fields every area shares, including
the one cleaned-text field, are in fields.py."""

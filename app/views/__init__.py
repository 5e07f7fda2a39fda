"""HTML views: one module per area, each exposing a blueprint `bp` whose URL
prefix names it (sell/orders.py serves /sell/orders). create_app registers
them one by one; README's table maps every URL prefix to its module.
helpers.py, sections.py and chart_pages.py are what several views share:
view modules import those, never one another."""

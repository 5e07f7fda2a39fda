"""Raw-SQL model functions, one module per entity. They take plain values and
return dicts; they never see Flask request objects."""

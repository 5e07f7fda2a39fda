"""HTML views and the JSON API: one module per area, each exposing `bp`."""
import importlib
import pkgutil


def register_blueprints(app) -> None:
    """Register the blueprint `bp` of every module in this package."""
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        blueprint = getattr(importlib.import_module(f"{__name__}.{module.name}"), "bp", None)
        if blueprint is not None:
            app.register_blueprint(blueprint)

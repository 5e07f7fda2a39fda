"""Helpers of the JSON API (app/views/api.py): request validation, JSON
shapes of the model rows, and the OpenAPI document."""

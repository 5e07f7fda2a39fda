"""The generator's product photos: a small pool of pictures per category,
drawn with Pillow and encoded like an upload (app/images.py), so a million
products share a few dozen files.

A picture is a soft background in the category's colour with a few flat
shapes on it; the shapes' kinds, places and shades come from the plan's
random stream, so a seed always draws the same pictures."""
import colorsys
import functools

import numpy as np
from PIL import Image, ImageDraw

from app.images import sizes_of

PER_CATEGORY = 3
WIDTH, HEIGHT = 800, 600


def _colour(hue: float, saturation: float, value: float) -> tuple[int, int, int]:
    return tuple(int(c * 255) for c in colorsys.hsv_to_rgb(hue % 1.0, saturation, value))


def draw(rng: np.random.Generator, hue: float) -> Image.Image:
    """One picture: a background in `hue` and three to five shapes."""
    image = Image.new("RGB", (WIDTH, HEIGHT), _colour(hue, 0.18, 0.97))
    pen = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(3, 6))):
        x, y = int(rng.integers(80, WIDTH - 80)), int(rng.integers(80, HEIGHT - 80))
        r = int(rng.integers(60, 200))
        fill = _colour(hue + rng.normal(0, 0.06), rng.uniform(0.35, 0.8), rng.uniform(0.45, 0.9))
        box = (x - r, y - r, x + r, y + r)
        kind = int(rng.integers(0, 3))
        if kind == 0:
            pen.ellipse(box, fill=fill)
        elif kind == 1:
            pen.rounded_rectangle(box, radius=r // 4, fill=fill)
        else:
            pen.polygon([(x, y - r), (x + r, y + r), (x - r, y + r)], fill=fill)
    return image


@functools.lru_cache(maxsize=4)
def category_pool(seed: int, categories: int) -> tuple:
    """PER_CATEGORY encoded pictures (app.images.WebSizes) for each category,
    category by category. Kept for the next run in this process: encoding
    takes a few seconds, and a seed always draws the same pictures."""
    rng = np.random.default_rng(seed)
    return tuple(sizes_of(draw(rng, category / max(categories, 1)))
                 for category in range(categories) for _ in range(PER_CATEGORY))

"""Small SVG bar charts drawn with matplotlib's Figure API on the Agg backend
(never pyplot: no global figure state shared between requests).

A chart is described by a ChartSpec (title, labels, values). Its key is a hash
of that data: it is the HTTP ETag, and the rendered bytes are cached under it
in a bounded LRU, so a chart is drawn again only when its numbers change.
Text stays text in the SVG (no embedded glyphs), which keeps a chart at a few KB."""
import functools
import hashlib
import io
import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

STYLE_VERSION = "2"  # part of every key: bump when the drawing code changes
CACHE_SIZE = 256
BAR_COLOR = "#0b5cad"
TEXT_COLOR = "#1d1d1f"
MAX_LABEL = 28


@dataclass(frozen=True)
class ChartSpec:
    """What to draw: `horizontal` bars suit long labels (categories,
    products); vertical ones suit time (months, short labels: a label may
    hold a line break)."""

    title: str
    labels: tuple[str, ...]
    values: tuple[float, ...]
    horizontal: bool = False
    value_format: str = "{:,.0f}"
    empty_message: str = "No data yet"
    key: str = field(init=False, default="")

    def __post_init__(self):
        payload = json.dumps([STYLE_VERSION, self.title, self.labels, [round(v, 2) for v in self.values],
                              self.horizontal, self.value_format, self.empty_message])
        object.__setattr__(self, "key", hashlib.sha256(payload.encode()).hexdigest()[:32])

    @property
    def empty(self) -> bool:
        return not any(self.values)


_cache: OrderedDict[str, bytes] = OrderedDict()
_lock = threading.Lock()  # guards the cache and matplotlib's text layout


@functools.cache
def _matplotlib():
    """matplotlib's Figure class and ticker module, imported on the first
    chart drawn: matplotlib and numpy make up 60 MB of a process, and a
    worker that serves only catalog pages never needs them."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import ticker
    from matplotlib.figure import Figure

    # Text as <text> elements instead of glyph paths; stable ids so the same
    # data gives the same bytes.
    matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "souk", "path.simplify": True,
                                "font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans"]})
    return Figure, ticker


def render_svg(spec: ChartSpec) -> bytes:
    """The chart as SVG bytes, drawn once per distinct data and then cached."""
    with _lock:
        if spec.key in _cache:
            _cache.move_to_end(spec.key)
            return _cache[spec.key]
        svg = _draw(spec)
        _cache[spec.key] = svg
        if len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
        return svg


def _plain(text: str) -> str:
    """A label shown literally: short, and '$' escaped so it is not mathtext."""
    text = text if len(text) <= MAX_LABEL else text[:MAX_LABEL - 1] + "…"
    return text.replace("$", r"\$")


def _draw(spec: ChartSpec) -> bytes:
    rows = max(len(spec.labels), 1)
    height = 0.6 + 0.3 * rows if spec.horizontal else 2.8
    figure_class, _ = _matplotlib()
    figure = figure_class(figsize=(4.8, max(height, 1.6)))
    figure.patch.set_visible(False)
    axes = figure.add_subplot()
    axes.patch.set_visible(False)
    axes.set_title(spec.title.replace("$", r"\$"), fontsize=11, color=TEXT_COLOR, loc="left")
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    if spec.empty:
        axes.set_axis_off()
        axes.text(0.5, 0.5, spec.empty_message, ha="center", va="center", fontsize=11, color=TEXT_COLOR)
    elif spec.horizontal:
        _horizontal_bars(axes, spec)
    else:
        _vertical_bars(axes, spec)
    figure.tight_layout(pad=0.4)
    out = io.BytesIO()
    figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    return _minify(out.getvalue().decode())


_METADATA = re.compile(r"<metadata>.*?</metadata>", re.S)
_NO_ROTATION = re.compile(r' transform="rotate\(-0 [^"]*\)"')
_GROUP_ID = re.compile(r'<g id="[^"]*"(/?)>')
_NUMERIC_ATTRIBUTE = re.compile(r'( (?:d|x|y|width|height|transform)=")([^"]*)"')
_DECIMALS = re.compile(r"(\d+\.\d)\d+")


def _round_numbers(match: re.Match) -> str:
    numbers = _DECIMALS.sub(r"\1", " ".join(match.group(2).split()))
    return f'{match.group(1)}{numbers}"'


def _minify(svg: str) -> bytes:
    """Drop what a browser does not need (metadata, group ids, no-op rotations,
    sub-0.1pt precision, indentation): about half the bytes."""
    svg = _METADATA.sub("", svg)
    svg = _NO_ROTATION.sub("", svg)
    svg = _GROUP_ID.sub(lambda m: "" if m.group(1) else "<g>", svg)
    svg = _NUMERIC_ATTRIBUTE.sub(_round_numbers, svg)
    return re.sub(r">\s+<", "><", svg).strip().encode()


def _horizontal_bars(axes, spec: ChartSpec) -> None:
    positions = range(len(spec.values))
    bars = axes.barh(positions, spec.values, color=BAR_COLOR, height=0.6)
    axes.set_yticks(list(positions), labels=[_plain(label) for label in spec.labels], fontsize=10)
    axes.invert_yaxis()  # first row on top, as in the table
    axes.set_xticks([])
    axes.spines["bottom"].set_visible(False)
    axes.bar_label(bars, labels=[spec.value_format.format(v) for v in spec.values], padding=3, fontsize=9)
    axes.set_xlim(0, max(spec.values) * 1.25)
    axes.tick_params(axis="y", length=0)


def _vertical_bars(axes, spec: ChartSpec) -> None:
    positions = range(len(spec.values))
    axes.bar(positions, spec.values, color=BAR_COLOR, width=0.6)
    axes.set_xticks(list(positions), labels=[_plain(label) for label in spec.labels], fontsize=9)
    axes.tick_params(axis="y", labelsize=9)
    _, ticker = _matplotlib()
    axes.yaxis.set_major_locator(ticker.MaxNLocator(4))
    axes.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))

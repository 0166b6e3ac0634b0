"""Pages of the course that browsers show: nothing a kernel or a learner wrote runs in them.

The formgrader shows an instructor each graded notebook as an HTML page
served by their own Jupyter server (which holds the gradebook and the grading
secret); feedback pages are opened by learners and instructors. nbconvert
makes both, and on its own it lets through: raw HTML in markdown cells (the
formgrader's template renders markdown without its sanitiser),
``javascript:`` links written in markdown syntax, active outputs (HTML,
JavaScript, SVG), and an image output's metadata, which its templates write
into the ``<img>`` tag unquoted (``width: "1 onerror=..."``). This course's
nbgrader configuration closes each:

* :class:`SanitizeForBrowsers` (nbconvert's ``SanitizeHTML``, run on every
  page): the HTML in markdown and raw cells is escaped, outputs keep only
  inert kinds (HTML ones are cleaned), and outputs lose their metadata;
* :func:`markdown2html`, the markdown filter of every template: markdown is
  rendered as nbconvert does, then cleaned with an allow-list (tags,
  attributes, and only ``http``, ``https``, ``mailto`` and relative links;
  ``data:`` only for images);
* ``HTMLExporter.sanitize_html``: nbconvert's templates clean HTML outputs
  and write no JavaScript output.

The outputs of graded notebooks are inert already (:mod:`autograder.preprocessors.output_bounds`)
and feedback holds none of a kernel's (:mod:`autograder.preprocessors.student_view`); this
is the layer that protects the browser whatever the notebook holds.
"""

from __future__ import annotations

import bleach
from bleach.css_sanitizer import CSSSanitizer
from jinja2 import pass_context
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from nbconvert.preprocessors.sanitize import SanitizeHTML
from traitlets import Bool

#: Tags markdown produces (and nbconvert's anchors, tables and math need).
TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre",
    "s", "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
})
PROTOCOLS = frozenset({"http", "https", "mailto"})


def _attribute_allowed(tag: str, name: str, value: str) -> bool:
    if name in ("class", "id", "title"):
        return True
    if tag == "a" and name == "href":
        return True  # bleach itself keeps only the protocols above, or none
    if tag == "img" and name in ("alt", "width", "height"):
        return True
    if tag == "img" and name == "src":
        return value.startswith(("data:image/png", "data:image/jpeg", "data:image/gif")) or \
            value.split(":", 1)[0] in PROTOCOLS or ":" not in value.split("/", 1)[0]
    return tag in ("td", "th") and name == "align"


def clean(html: str) -> str:
    """``html`` with only the tags, attributes and link kinds of the allow-list."""
    return bleach.clean(html, tags=TAGS, attributes=_attribute_allowed,
                        protocols=PROTOCOLS | {"data"}, strip=False,
                        css_sanitizer=CSSSanitizer())


@pass_context
def markdown2html(context, source: str) -> str:
    """Markdown as nbconvert renders it (math, attachments, anchors), then :func:`clean`."""
    cell = context.get("cell", {})
    renderer = IPythonRenderer(escape=False, allow_harmful_protocols=False,
                               attachments=cell.get("attachments", {}) if cell else {},
                               path=context.get("resources", {}).get("metadata", {}).get("path", ""))
    return clean(MarkdownWithMath(renderer=renderer).render(source))


class SanitizeForBrowsers(SanitizeHTML):
    """nbconvert's ``SanitizeHTML``, switched on, that also drops what outputs say of
    themselves (their metadata goes into tags unescaped) and non-image attachments."""

    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, cell_index):
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        for output in cell.get("outputs", []):
            if "metadata" in output:
                output["metadata"] = {}
        attachments = cell.get("attachments")
        if isinstance(attachments, dict):
            cell["attachments"] = {name: {kind: data for kind, data in item.items()
                                          if kind in ("image/png", "image/jpeg", "image/gif")}
                                   for name, item in attachments.items() if isinstance(item, dict)}
        return cell, resources

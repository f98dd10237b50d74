"""Every path of a guide project, relative to its root: the one place that names them."""
from __future__ import annotations

from pathlib import Path

CASES_DIR = "cases"
POLICIES_DIR = "policies"
DRAFTS_DIR = "drafts"  # cases saved with errors from the preview's editor; never built or validated
GUIDE_DIR = Path("guide")
GUIDE_FILE = GUIDE_DIR / "guide.yaml"
NEEDS_FILE = GUIDE_DIR / "needs-analysis.yaml"
SCHEMA_DIR = Path("schema")

THEME_DIR = Path("themes") / "default"
TEMPLATES_DIR = THEME_DIR / "templates"
STATIC_DIR = THEME_DIR / "static"
PDF_STYLESHEET = STATIC_DIR / "pdf.css"

TRANSLATIONS_DIR = Path("translations")
MESSAGES_DOMAIN = "messages"
POT_FILE = TRANSLATIONS_DIR / f"{MESSAGES_DOMAIN}.pot"
SOURCES_FILE = TRANSLATIONS_DIR / "content-sources.json"  # fingerprints of the English each translation was made from
GLOSSARY_FILE = TRANSLATIONS_DIR / "glossary.yaml"

OUTPUT_DIR = Path("output")  # the default output folder of `build` and `pdf`

# Caches: git-ignored, each safe to delete (the next build makes it again).
CACHE_DIR = Path(".cache")
JINJA_CACHE = CACHE_DIR / "jinja"  # compiled templates
PDF_CACHE = CACHE_DIR / "pdf"  # rendered PDF editions
PARSE_CACHE = CACHE_DIR / "parsed"  # read and validated content files
MARKDOWN_CACHE = CACHE_DIR / "markdown.json"  # the content's Markdown texts converted to HTML
PINYIN_CACHE = CACHE_DIR / "pinyin.json"  # the pinyin of the Chinese facet labels, which sorts them

# The folders the live preview watches: every source of the site.
WATCHED = (CASES_DIR, POLICIES_DIR, GUIDE_DIR.as_posix(), THEME_DIR.as_posix(), TRANSLATIONS_DIR.as_posix())


def is_project(root: Path) -> bool:
    """Return whether `root` looks like a guide project."""
    return (root / GUIDE_FILE).is_file() and (root / CASES_DIR).is_dir()

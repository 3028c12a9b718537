"""cablesearch's indexer: read cable archives into Cables, paragraph by paragraph.

Public surface: ``parse_path(path, on_skip=None)`` (every cable in a file or directory),
``parse_text(text, source, format)`` (exactly one cable), the model classes and ParseError.
"""

from indexer.model import Cable, Paragraph, ParseError, Reference
from indexer.parse import build_cable, parse_path, parse_text

__all__ = ["Cable", "Paragraph", "ParseError", "Reference", "build_cable", "parse_path", "parse_text"]

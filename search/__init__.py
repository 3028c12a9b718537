"""cablesearch's Python API: ranked paragraph search over an index of cables.

    from search import Archive
    archive = Archive("cables-index")            # or Archive(): $CABLES_INDEX, else ./cables-index
    result = archive.search("strategic communications", max_level="CONFIDENTIAL")
    archive.cable("09LONDON1933")                # the whole cable
    archive.similar("09LONDON1933", 4)           # paragraphs like its paragraph 4
"""

from indexer.engines.base import IndexMissing, IndexProblem, QueryError

from .archive import Archive, NotFound
from .results import CableText, Hit, ParagraphText, SearchResult

__all__ = ["Archive", "NotFound", "QueryError", "IndexProblem", "IndexMissing", "SearchResult",
           "Hit", "CableText", "ParagraphText"]

"""`cables serve`: a small Flask application over the same Python API as the CLI.

Pages: `/` (search), `/cable/<refid>` (one cable, paragraph anchors `#pN`),
`/cable/<refid>/history` (releases, `?diff=1`), `/similar/<refid>/<n>`; JSON: `/api/search`,
`/api/cable/<refid>`, `/api/similar/<refid>/<n>`, `/api/history/<refid>`: the same JSON as
the CLI's `--format json`. The ceiling given at start (`max_level`) is
applied to every request; a request's own `max_level` can only lower it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, redirect, render_template, request, url_for

from indexer.engines.base import IndexProblem, QueryError
from indexer.model import LEVELS
from search import refs
from search.archive import Archive, NotFound

from .diffview import word_diff_markup
from .histogram import histogram_svg
from .params import (FACETS, MAX_PAGE, PAGE_SIZES, SORTS, BadParameter, SearchParams,
                     field_query, levels_up_to, parse_int, parse_level)
from .render import cable_json, cable_view, hit_view, result_json, search_kwargs

HERE = Path(__file__).resolve().parent
UNKNOWN = "(unknown)"  # the API's facet value for paragraphs without one: nothing to narrow to
CSP = ("default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")


def open_archive(archive_or_path: Any) -> Any:
    """An Archive given as itself or as its index directory."""
    if isinstance(archive_or_path, (str, Path)):
        return Archive(archive_or_path)
    return archive_or_path


def create_app(archive_or_path: Any, max_level: str | None = None) -> Flask:
    """The web application over an Archive (or an index path), under an optional ceiling."""
    archive = open_archive(archive_or_path)
    ceiling = parse_level(max_level, "max_level") if max_level else None
    app = Flask(__name__, template_folder=str(HERE / "templates"),
                static_folder=str(HERE / "static"))
    app.config.update(ARCHIVE=archive, CEILING=ceiling)

    def params_or_error() -> SearchParams:
        try:
            return SearchParams.from_args(request.args, ceiling)
        except BadParameter as exc:
            raise _Problem(str(exc), 400) from None

    def cable_or_404(refid: str, params: SearchParams):
        cable = archive.cable(refid, max_level=params.max_level)
        if cable is None:
            raise _Problem(f"no cable {refid} in the index", 404)
        return cable

    def wants_facets() -> bool:
        return request.args.get("facets", "") in ("1", "true", "on", "yes")

    def search_url(params: SearchParams, endpoint: str = "search_page") -> str:
        query = urlencode(params.to_args(ceiling))
        return url_for(endpoint) + (f"?{query}" if query else "")

    def cable_url(refid: str, params: SearchParams | None = None,
                  paragraph: int | None = None) -> str:
        args: list[tuple[str, str]] = []
        if params and params.q:
            args.append(("q", params.q))
        if params and params.max_level and params.max_level != ceiling:
            args.append(("max_level", params.max_level))
        url = url_for("cable_page", refid=refid) + (f"?{urlencode(args)}" if args else "")
        return url + (f"#p{paragraph}" if paragraph is not None else "")

    def field_url(name: str, value: str, params: SearchParams | None = None) -> str | None:
        """The search for one field value (a cable's TAG, origin…), under the same ceiling."""
        query = field_query(name, str(value))
        if query is None:
            return None
        return search_url(SearchParams(q=query, max_level=params.max_level if params else ceiling))

    @app.context_processor
    def helpers() -> dict[str, Any]:
        return {"search_url": search_url, "cable_url": cable_url, "field_url": field_url,
                "ceiling": ceiling,
                "levels": LEVELS, "sorts": SORTS, "page_sizes": PAGE_SIZES,
                "levels_up_to": levels_up_to}

    @app.get("/")
    def search_page() -> Any:
        try:
            params = SearchParams.from_args(request.args, ceiling)
        except BadParameter as exc:
            return render_template("search.html", params=SearchParams(max_level=ceiling),
                                   error=str(exc)), 400
        if sorted(params.to_args(ceiling)) != sorted(request.args.items(multi=True)):
            # A submitted form sends every field, empty or default: redirect to the short URL
            # that holds the same search, so what is bookmarked or shared is readable.
            return redirect(search_url(params))
        context: dict[str, Any] = {"params": params, "error": None, "result": None}
        if params.q or params.filtered:
            try:
                result = archive.search(params.query_or_filter(),
                                        **search_kwargs(params, list(FACETS)))
            except QueryError as exc:
                context["error"] = f"bad query: {exc}"
                return render_template("search.html", **context), 400
            context.update(_result_context(result, params, search_url))
        else:
            context["stats"] = archive.stats()
        return render_template("search.html", **context)

    @app.get("/cable/<refid>")
    def cable_page(refid: str) -> Any:
        params = params_or_error()
        cable = cable_or_404(refid, params)
        view = cable_view(archive, cable, params)
        return render_template("cable.html", cable=cable, view=view, params=params)

    @app.get("/cable/<refid>/history")
    def history_page(refid: str) -> Any:
        params = params_or_error()
        result = _history(archive, refid, params)
        changes = [(change, word_diff_markup(change.old_text, change.new_text))
                   for change in (result.diff.paragraphs if result.diff else [])]
        return render_template("history.html", params=params, history=result, changes=changes)

    @app.get("/api/history/<refid>")
    def api_history(refid: str) -> Response:
        """`cables history REFID --format json`; `diff=1`, `old=N`, `new=M`: --diff/--from/--to."""
        return _json(refs.to_json(_history(archive, refid, params_or_error())))

    @app.get("/similar/<refid>/<int:paragraph>")
    def similar_page(refid: str, paragraph: int) -> Any:
        params = params_or_error()
        result = _similar(archive, refid, paragraph, params)
        here = url_for("similar_page", refid=refid, paragraph=paragraph)

        def page_url(number: int) -> str:
            return f"{here}?{urlencode(params.but(q='', page=number).to_args(ceiling))}"

        return render_template(
            "similar.html", params=params, refid=refid, paragraph=paragraph,
            hits=[hit_view(h) for h in result.hits], total=result.total,
            prev_url=page_url(params.page - 1) if params.page > 1 else None,
            next_url=(page_url(params.page + 1)
                      if params.page < min(result.pages, MAX_PAGE) else None))

    @app.get("/api/search")
    def api_search() -> Response:
        """`cables search --format json`; `facets=1` is `--facets`."""
        params = params_or_error()
        try:
            result = archive.search(params.q, **search_kwargs(params, wants_facets()))
        except QueryError as exc:
            raise _Problem(f"bad query: {exc}", 400) from None
        return _json(result_json(result))

    @app.get("/api/cable/<refid>")
    def api_cable(refid: str) -> Response:
        params = params_or_error()
        return _json(cable_json(cable_or_404(refid, params)))

    @app.get("/api/similar/<refid>/<int:paragraph>")
    def api_similar(refid: str, paragraph: int) -> Response:
        params = params_or_error()
        return _json(result_json(_similar(archive, refid, paragraph, params, wants_facets())))

    @app.after_request
    def harden(response: Response) -> Response:
        # Defence in depth behind escaping: the pages need no script, frame or plugin.
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    @app.errorhandler(_Problem)
    def problem(exc: "_Problem") -> Any:
        if request.path.startswith("/api/"):
            return _json({"error": exc.message}, exc.status)
        return render_template("error.html", message=exc.message,
                               params=SearchParams(max_level=ceiling)), exc.status

    @app.errorhandler(404)
    def not_found(exc: Exception) -> Any:
        return problem(_Problem("not found", 404))

    @app.errorhandler(IndexProblem)
    def index_problem(exc: IndexProblem) -> Any:
        return problem(_Problem(str(exc), 503))

    return app


class _Problem(Exception):
    """A request the server refuses, with its one-line message and HTTP status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _json(text_or_data: Any, status: int = 200) -> Response:
    text = (text_or_data if isinstance(text_or_data, str)
            else json.dumps(text_or_data, ensure_ascii=False))
    return Response(text, status=status, mimetype="application/json")


def _history(archive: Any, refid: str, params: SearchParams) -> Any:
    """`Archive.history` with a diff when asked (`diff=1`, or `old`/`new` version numbers)."""
    try:
        old = parse_int(request.args.get("old"), "old", 0, 1, 10_000) or None
        new = parse_int(request.args.get("new"), "new", 0, 1, 10_000) or None
        diff = request.args.get("diff", "") in ("1", "true", "on", "yes") or bool(old or new)
        return archive.history(refid, diff=diff, old=old, new=new, max_level=params.max_level)
    except (BadParameter, ValueError) as exc:
        raise _Problem(str(exc), 400) from None
    except refs.CableNotFound as exc:
        raise _Problem(str(exc), 404) from None


def _similar(archive: Any, refid: str, paragraph: int, params: SearchParams,
             facets: bool = False) -> Any:
    """`Archive.similar` under the request's ceiling; a withheld or missing paragraph is a 404."""
    try:
        return archive.similar(refid, paragraph, max_level=params.max_level, limit=params.limit,
                               page=params.page, per_cable=params.per_cable, facets=facets)
    except NotFound as exc:
        raise _Problem(str(exc), 404) from None
    except QueryError as exc:
        raise _Problem(f"bad query: {exc}", 400) from None


def _page_window(current: int, last: int, around: int = 3) -> list[int]:
    """Page numbers to offer: the first, the last, and a few around the current one."""
    numbers = {1, last, *range(max(1, current - around), min(last, current + around) + 1)}
    return sorted(numbers)


def _result_context(result: Any, params: SearchParams, search_url: Any) -> dict[str, Any]:
    """What the search template needs beyond the raw result: links, histogram, paging."""
    facets = {name: [(value, count, None if str(value) == UNKNOWN
                      else search_url(params.narrowed(name, str(value))))
                     for value, count in result.facets.get(name, [])
                     if not params.has(name, str(value))]
              for name in ("classification", "level", "origin", "tags")}
    years = result.facets.get("year", [])
    unit = params.hist
    if unit == "auto":
        numeric = [int(y) for y, c in years if str(y).isdigit() and c]
        unit = "month" if numeric and max(numeric) - min(numeric) < 3 else "year"
    histogram = histogram_svg(result.facets.get(unit, []), unit,
                              lambda key: search_url(params.narrowed(unit, key)))
    pages = max(1, -(-result.total // params.limit))
    return {
        "result": result,
        "hits": [hit_view(hit) for hit in result.hits],
        "facets": facets,
        "histogram": histogram,
        "hist_unit": unit,
        "hist_other": search_url(params.but(hist="month" if unit == "year" else "year")),
        "pages": pages,
        "page_urls": [(number, None if number == params.page
                       else search_url(params.but(page=number)))
                      for number in _page_window(params.page, min(pages, MAX_PAGE))],
        "prev_url": search_url(params.but(page=params.page - 1)) if params.page > 1 else None,
        "next_url": (search_url(params.but(page=params.page + 1))
                     if params.page < min(pages, MAX_PAGE) else None),
        "json_url": search_url(params, "api_search") + "&facets=1" if params.q else None,
        "suggestion_url": (search_url(params.but(q=result.suggestion))
                           if getattr(result, "suggestion", None) else None),
        "remove_urls": [(label, value, search_url(params.without(label, tag)))
                        for label, value, tag in params.active_filters()],
    }


def is_loopback(host: str) -> bool:
    """Whether `host` only accepts connections from this machine."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def make_server(app: Flask, host: str, port: int) -> Any:
    """A threaded WSGI server for `app` (werkzeug's), bound but not yet serving; port 0 = any."""
    from werkzeug.serving import make_server as werkzeug_server

    return werkzeug_server(host, port, app, threaded=True)

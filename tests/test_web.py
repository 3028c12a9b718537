"""`cables serve` through Flask's test client, on an index of real cables (and one hostile one).

Search, filters, facets, the histogram, paging, the cable page, the JSON API (the CLI's own
JSON), errors, the ceiling under hostile parameters, and escaping of cable text.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, urlsplit

import lxml.html
import pytest
from click.testing import CliRunner

from indexer.model import level_rank
from search import Archive
from search.cli import cli
from search.web import create_app
from webindex import HOSTILE_REFID, SECRET_WORDS, build_web_index

pytestmark = pytest.mark.corpus

QUERY = "Pakistan"  # matches paragraphs in both months of the index's real cables


@pytest.fixture(scope="module")
def index(tmp_path_factory, corpus, sample_corpus, engine_name):
    """The web works over either engine: every test that reads the index runs on each."""
    return build_web_index(tmp_path_factory.mktemp(f"web-{engine_name}"), corpus, sample_corpus,
                           engine_name)


@pytest.fixture(scope="module")
def archive(index):
    return Archive(index)


@pytest.fixture(scope="module")
def client(archive):
    return create_app(archive).test_client()


@pytest.fixture(scope="module")
def guarded(index):
    """A server started with --max-level CONFIDENTIAL."""
    return create_app(index, max_level="CONFIDENTIAL").test_client()


def page(client, url: str, status: int = 200) -> lxml.html.HtmlElement:
    """The page at `url` (after the redirect to its short URL, if any), parsed."""
    response = client.get(url, follow_redirects=True)
    assert response.status_code == status, (url, response.status_code, response.data[:300])
    return lxml.html.fromstring(response.data.decode("utf-8"))


def api(client, url: str, status: int = 200) -> dict:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.data[:300])
    assert response.mimetype == "application/json"
    return json.loads(response.data)


def css(element, selector: str) -> list:
    """Elements matching a simple CSS selector (tag.class#id[attr=value], descendants),
    through XPath: lxml's own cssselect needs a package this project does not depend on."""
    path = "."
    for compound in selector.split():
        tag, rest = re.match(r"([\w*]*)(.*)", compound).groups()
        tests = []
        for kind, name, value in re.findall(r"([.#\[])([\w-]+)(?:=([\w-]+)\])?", rest):
            if kind == ".":
                tests.append(f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')")
            elif kind == "#":
                tests.append(f"@id='{name}'")
            else:
                tests.append(f"@{name}='{value}'")
        path += "//" + (tag or "*") + "".join(f"[{t}]" for t in tests)
    return element.xpath(path)


def hit_keys(doc) -> list[tuple[str, int]]:
    """(refid, paragraph) of each hit shown on a search page, in order."""
    keys = []
    for link in css(doc, "li.hit a.hit-link"):
        refid, number = re.fullmatch(r"(\S+) ¶(\d+)", link.text_content()).groups()
        keys.append((refid, int(number)))
    return keys


def total_of(doc) -> int:
    return int(re.match(r"\d+", doc.get_element_by_id("total").text_content()).group())


def args_of(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query)


# --- search page -------------------------------------------------------------------------

def test_search_page_shows_the_apis_hits_with_marked_snippets(client, archive):
    doc = page(client, f"/?q={QUERY}")
    expected = archive.search(QUERY, limit=10)
    assert total_of(doc) == expected.total > 10
    assert hit_keys(doc) == [(h.refid, h.paragraph) for h in expected.hits]
    first = css(doc, "li.hit")[0]
    hit = expected.hits[0]
    line = css(first, ".hit-line")[0].text_content()
    assert hit.created.date().isoformat() in line and (hit.origin or "") in line
    if hit.marking:
        assert f"({hit.marking})" in line
    marks = [m.text_content().lower() for m in css(doc, "p.snippet mark")]
    assert marks and all(m.startswith("pakistan") for m in marks)


def test_the_form_redirects_to_a_short_url_holding_the_same_search(client):
    response = client.get(f"/?q={QUERY}&tags=&origin=&level=&max_level=&from=&to="
                          "&sort=relevance&limit=10")
    assert response.status_code == 302
    assert args_of(response.headers["Location"]) == [("q", QUERY)]


def test_filters_narrow_the_hits(client, archive):
    tag_hits = api(client, f"/api/search?q={QUERY}&tags=PTER&limit=100")
    assert 0 < tag_hits["total"] < archive.search(QUERY).total
    assert all("PTER" in h["tags"] for h in tag_hits["hits"])
    dated = api(client, f"/api/search?q={QUERY}&from=2009-08-10&to=2009-08-20&limit=100")
    assert dated["total"] > 0
    assert all("2009-08-10" <= h["created"][:10] <= "2009-08-20" for h in dated["hits"])
    level = api(client, f"/api/search?q={QUERY}&level=UNCLASSIFIED&limit=100")
    assert level["total"] > 0 and {h["level"] for h in level["hits"]} == {"UNCLASSIFIED"}
    origin = tag_hits["hits"][0]["origin"]
    by_origin = api(client, f"/api/search?q={QUERY}&origin={origin}&limit=100")
    assert by_origin["total"] > 0 and {h["origin"] for h in by_origin["hits"]} == {origin}
    # The same filters through the page: same hits.
    doc = page(client, f"/?q={QUERY}&tags=PTER&limit=100")
    assert hit_keys(doc) == [(h["refid"], h["paragraph"]) for h in tag_hits["hits"]]


def test_filters_without_a_query_browse_every_paragraph_passing_them(client, archive):
    year_2004 = [archive.cable(refid) for refid in archive.engine.refids()]
    expected = sum(len(c.paragraphs) for c in year_2004 if c.created and c.created.year == 2004)
    doc = page(client, "/?from=2004&to=2004")
    assert total_of(doc) == expected > 0
    tagged = page(client, "/?tags=PTER&limit=100")
    refids = {refid for refid, _ in hit_keys(tagged)}
    assert refids and all("PTER" in archive.cable(refid).tags for refid in refids)
    # The JSON API keeps the CLI's rule: a query needs at least one word.
    assert "error" in api(client, "/api/search?tags=PTER", status=400)


def test_clicking_a_facet_narrows_to_its_count(client):
    doc = page(client, f"/?q={QUERY}")
    total = total_of(doc)
    for facet in ("tags", "origin", "classification", "level"):
        link = css(doc, f"#facet-{facet} a.facet-link")[0]
        count = int(link.getnext().text_content())
        narrowed = page(client, link.get("href"))
        assert total_of(narrowed) == count <= total, facet
        assert (facet, link.text_content()) in args_of(link.get("href"))
        # The narrowed page offers to remove that filter again.
        assert css(narrowed, ".active-filters a")


def test_histogram_bars_count_the_hits_and_narrow_to_their_dates(client):
    doc = page(client, f"/?q={QUERY}&hist=year")
    bars = css(doc, "svg.histogram a.bar")
    counts = {}
    for bar in bars:
        key, count = re.match(r"(\S+): (\d+) hit", css(bar, "title")[0].text_content()).groups()
        counts[key] = (int(count), bar.get("href"))
    assert set(counts) >= {"2004", "2009"}
    assert sum(c for c, _ in counts.values()) == total_of(doc)
    count, href = counts["2004"]
    narrowed = page(client, href)
    assert total_of(narrowed) == count
    assert ("from", "2004-01-01") in args_of(href) and ("to", "2004-12-31") in args_of(href)
    by_month = page(client, href.replace("hist=year", "") + "&hist=month")
    assert css(by_month, "svg.histogram rect title")


def test_paging_and_sorting(client):
    first = page(client, f"/?q={QUERY}&limit=5")
    second = page(client, css(first, "a[rel=next]")[0].get("href"))
    assert set(hit_keys(first)).isdisjoint(hit_keys(second)) and len(hit_keys(second)) == 5
    assert css(second, "a[rel=prev]")
    third = [a for a in css(second, "a.page") if a.text_content() == "3"][0]
    expected = api(client, f"/api/search?q={QUERY}&limit=5&page=3")["hits"]
    assert hit_keys(page(client, third.get("href"))) == [
        (h["refid"], h["paragraph"]) for h in expected]
    newest = api(client, f"/api/search?q={QUERY}&sort=-date&limit=50")["hits"]
    dates = [h["created"] for h in newest]
    assert dates == sorted(dates, reverse=True)


def test_per_cable_collapses_to_one_hit_per_cable(client):
    doc = page(client, f"/?q={QUERY}&per_cable=1&limit=50")
    refids = [refid for refid, _ in hit_keys(doc)]
    assert len(refids) == len(set(refids)) > 1
    assert css(doc, ".matched")


def test_did_you_mean_links_to_the_corrected_search(client, archive):
    misspelled = "Pakistn"
    suggestion = archive.search(misspelled).suggestion
    assert suggestion
    link = page(client, f"/?q={misspelled}").get_element_by_id("suggestion")
    assert ("q", suggestion) in args_of(link.get("href"))


# --- cable page --------------------------------------------------------------------------

def test_cable_page_shows_every_paragraph_with_its_anchor(client, archive):
    cable = archive.cable("09LONDON1933")
    doc = page(client, "/cable/09LONDON1933")
    assert css(doc, "h1")[0].text_content() == "09LONDON1933"
    for paragraph in cable.paragraphs:
        section = doc.get_element_by_id(f"p{paragraph.number}")
        assert css(section, "a.anchor")[0].get("href") == f"#p{paragraph.number}"
        shown = " ".join(css(section, ".text")[0].text_content().split())
        assert shown == " ".join(paragraph.text.split())
        if paragraph.marking:
            assert f"({paragraph.marking})" in section.text_content()
        if paragraph.heading:
            assert css(section, ".heading")[0].text_content() == paragraph.heading
    fields = css(doc, "table.fields")[0].text_content()
    assert all(tag in fields for tag in cable.tags)


def test_cable_page_links_what_it_cites_what_cites_it_and_its_releases(client, archive):
    citing = page(client, f"/cable/{HOSTILE_REFID}")
    cites = archive.references(HOSTILE_REFID).cites
    links = [a.get("href") for a in css(citing, "#cites a")]
    assert links == [f"/cable/{c.refid}" for c in cites if c.indexed] == ["/cable/09LONDON1933"]
    assert all(c.written in css(citing, "#cites")[0].text_content() for c in cites)
    cited = page(client, "/cable/09LONDON1933")
    citing_links = [f"/cable/{c.refid}" for c in archive.cited_by("09LONDON1933")]
    assert [a.get("href") for a in css(cited, "#cited-by a")] == citing_links
    assert citing_links == [f"/cable/{HOSTILE_REFID}"]
    releases = css(cited, "#history li")
    versions = archive.history("09LONDON1933").versions
    assert len(releases) == len(versions) == 2  # the seed cable's Markdown and the site's page
    assert all((v.released or "(date unknown)") in r.text_content()
               for v, r in zip(versions, releases))


def test_history_page_shows_what_changed_between_releases(client, archive, index):
    history = archive.history("09LONDON2005", diff=True)
    assert len(history.versions) == 2 and history.diff.paragraphs  # two builds of the site differ
    cable = page(client, "/cable/09LONDON2005")
    doc = page(client, css(cable, "#history-link")[0].get("href"))
    shown = css(doc, "#diff section.change")
    assert len(shown) == len(history.diff.paragraphs)
    for section, change in zip(shown, history.diff.paragraphs):
        assert change.label in section.text_content()
        removed = " ".join(d.text_content() for d in css(section, "del"))
        added = " ".join(i.text_content() for i in css(section, "ins"))
        assert removed or added
        assert all(word in (change.old_text or "") for word in removed.split())
        assert all(word in (change.new_text or "") for word in added.split())
    out = CliRunner().invoke(cli, ["history", "09LONDON2005", "--diff", "--index", str(index),
                                   "--format", "json"])
    assert out.exit_code == 0, out.output
    assert api(client, "/api/history/09LONDON2005?diff=1") == json.loads(out.output)
    listing = page(client, "/cable/09LONDON2005/history")
    pairs = css(listing, "a.diff-pair")
    assert len(pairs) == len(history.versions) - 1
    assert len(css(page(client, pairs[-1].get("href")), "#diff section.change")) == len(shown)
    page(client, "/cable/99NOWHERE1/history", status=404)
    page(client, "/cable/09LONDON2005/history?old=9", status=400)


def test_history_diff_under_a_lower_ceiling_leaves_the_paragraph_out(client, archive):
    changed = archive.history("09LONDON2005", diff=True).diff.paragraphs[0]
    words = " ".join(changed.new_text.split()[:8])
    assert words in " ".join(client.get("/cable/09LONDON2005/history?diff=1").data.decode().split())
    lowered = client.get("/cable/09LONDON2005/history?diff=1&max_level=UNCLASSIFIED").data.decode()
    assert words not in " ".join(lowered.split())


def test_a_cables_tags_and_origin_link_to_their_searches(client, archive):
    doc = page(client, f"/cable/{HOSTILE_REFID}")
    fields = css(doc, "table.fields")[0]
    for link in css(fields, "a"):
        query = dict(args_of(link.get("href")))["q"]
        found = page(client, link.get("href"))
        assert total_of(found) == archive.search(query).total > 0
        assert HOSTILE_REFID in [refid for refid, _ in hit_keys(found)] or total_of(found) > 10
    tags = [a.text_content() for a in css(fields, "a.tag")]
    assert tags == archive.cable(HOSTILE_REFID).tags


def test_the_front_page_offers_the_index_to_browse(client, archive):
    doc = page(client, "/")
    stats = archive.stats()
    links = css(doc, "#browse-tags a")
    assert [a.text_content() for a in links] == [tag for tag, _ in stats["top_tags"]]
    assert total_of(page(client, links[0].get("href"))) > 0


def test_arriving_from_a_hit_marks_the_searched_words(client):
    doc = page(client, "/?q=%22strategic+communications%22")
    href = css(doc, "li.hit a.hit-link")[0].get("href")
    assert href.startswith("/cable/") and "#p" in href
    cable = page(client, href.split("#")[0])
    number = href.split("#p")[1]
    marks = [m.text_content().lower() for m in css(cable.get_element_by_id(f"p{number}"), "mark")]
    assert "strategic" in marks and "communications" in marks


def test_unknown_cable_is_404(client):
    page(client, "/cable/99NOWHERE1", status=404)
    assert "error" in api(client, "/api/cable/99NOWHERE1", status=404)


# --- JSON API ------------------------------------------------------------------------------

def test_api_returns_the_clis_json(client, index):
    runner = CliRunner()
    out = runner.invoke(cli, ["search", QUERY, "--index", str(index), "--tag", "PTER",
                              "--limit", "5", "--page", "2", "--format", "json"])
    assert out.exit_code == 0, out.output
    assert api(client, f"/api/search?q={QUERY}&tags=PTER&limit=5&page=2") == json.loads(out.output)
    shown = runner.invoke(cli, ["show", "09LONDON1933", "--index", str(index), "--format", "json"])
    assert shown.exit_code == 0, shown.output
    assert api(client, "/api/cable/09LONDON1933") == json.loads(shown.output)


def test_similar_paragraphs_page_and_api(client, archive, index):
    expected = archive.similar("09LONDON1933", 4, limit=5, page=2)
    doc = page(client, "/similar/09LONDON1933/4?limit=5&page=2")
    assert hit_keys(doc) == [(h.refid, h.paragraph) for h in expected.hits]
    assert css(doc, "a[rel=prev]") and ("09LONDON1933", 4) not in hit_keys(doc)
    out = CliRunner().invoke(cli, ["similar", "09LONDON1933#4", "--index", str(index),
                                   "--format", "json"])
    assert out.exit_code == 0, out.output
    assert api(client, "/api/similar/09LONDON1933/4") == json.loads(out.output)
    page(client, "/similar/09LONDON1933/999", status=404)


def test_a_search_page_links_to_its_json(client):
    doc = page(client, f"/?q={QUERY}&tags=PTER")
    link = [a.get("href") for a in css(doc, "p.json a")][0]
    data = api(client, link)
    assert data["total"] == total_of(doc) and set(data["facets"]) >= {"tags", "level"}


def test_bad_query_is_one_line_on_the_page_and_400_on_the_api(client):
    doc = page(client, "/?q=%22unbalanced", status=400)
    message = css(doc, ".error")[0].text_content()
    assert message.startswith("bad query") and "\n" not in message.strip()
    assert api(client, "/api/search?q=%22unbalanced", status=400)["error"].startswith("bad query")
    assert "from" in api(client, "/api/search?q=x&from=2009-13-40", status=400)["error"]
    page(client, "/?q=x&max_level=SUPER", status=400)


# --- the ceiling ----------------------------------------------------------------------------

HOSTILE_URLS = [
    "/?q=hackers&max_level=TOP+SECRET",
    "/?q=hackers&max_level=SECRET&per_cable=1",
    "/?q=hackers&level=SECRET",
    "/?level=SECRET",
    "/?q=suspected+hackers&marking=S",
    "/?q=hackers&classification=SECRET",
    "/?q=suspected&sort=-date&limit=100",
    "/?q=level:secret",
    "/?tags=KCRM&max_level=SECRET",
    f"/cable/{HOSTILE_REFID}",
    f"/cable/{HOSTILE_REFID}?max_level=TOP+SECRET&q=hackers",
    f"/similar/{HOSTILE_REFID}/1?max_level=SECRET",
    f"/similar/{HOSTILE_REFID}/2?max_level=SECRET",
    "/api/search?q=hackers&max_level=SECRET",
    "/api/search?q=suspected+hackers&level=SECRET&max_level=TOP%20SECRET",
    f"/api/cable/{HOSTILE_REFID}?max_level=SECRET",
    f"/api/similar/{HOSTILE_REFID}/1?max_level=TOP+SECRET",
    f"/api/similar/{HOSTILE_REFID}/2",
    f"/cable/{HOSTILE_REFID}/history?diff=1&max_level=TOP+SECRET",
    f"/api/history/{HOSTILE_REFID}?diff=1&max_level=SECRET",
]


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_no_request_lifts_the_servers_ceiling(guarded, client, url):
    response = guarded.get(url, follow_redirects=True)
    body = response.data.decode("utf-8")
    assert SECRET_WORDS not in " ".join(body.split())
    assert response.status_code in (200, 400, 404)
    if url.startswith("/api/search") or url.startswith("/api/similar"):
        if response.status_code == 200:
            data = json.loads(body)
            assert all(level_rank(h["level"]) <= level_rank("CONFIDENTIAL") for h in data["hits"])
            assert all(level_rank(v) <= level_rank("CONFIDENTIAL")
                       for v, _ in data["facets"].get("level", []))
    # Without the ceiling the same secret is there to leak: the test could fail.
    if url in (f"/cable/{HOSTILE_REFID}", "/api/search?q=hackers&max_level=SECRET",
               f"/cable/{HOSTILE_REFID}/history?diff=1&max_level=TOP+SECRET"):
        open_body = client.get(url, follow_redirects=True).data.decode("utf-8")
        assert SECRET_WORDS in " ".join(open_body.split())


def test_withheld_paragraphs_show_as_withheld(guarded):
    doc = page(guarded, f"/cable/{HOSTILE_REFID}?max_level=TOP+SECRET")
    secret = doc.get_element_by_id("p2")
    assert "withheld" in secret.get("class") and "(S)" in secret.text_content()
    assert "withheld" not in doc.get_element_by_id("p3").get("class")


def test_a_request_may_lower_the_ceiling(client, archive):
    data = api(client, f"/api/search?q={QUERY}&max_level=UNCLASSIFIED&limit=100")
    assert data["total"] > 0 and {h["level"] for h in data["hits"]} == {"UNCLASSIFIED"}
    doc = page(client, "/cable/09LONDON1933?max_level=UNCLASSIFIED")
    assert len(css(doc, "section.para.withheld")) == sum(
        1 for p in archive.cable("09LONDON1933").paragraphs if level_rank(p.level) > 0)


# --- escaping -------------------------------------------------------------------------------

def test_cable_text_with_markup_is_shown_as_text(client):
    for url in (f"/cable/{HOSTILE_REFID}", f"/cable/{HOSTILE_REFID}?q=hackers+markup",
                "/?q=hackers+markup", "/?q=defacement"):
        body = client.get(url).data.decode("utf-8")
        assert "<script" not in body.lower(), url
        assert "<b>bold" not in body, url
    response = client.get(f"/cable/{HOSTILE_REFID}")
    assert "script-src 'none'" in response.headers["Content-Security-Policy"]
    doc = lxml.html.fromstring(response.data.decode("utf-8"))
    text = css(doc.get_element_by_id("p1"), ".text")[0].text_content()
    assert '<script>alert("pwned")</script>' in text and "<b>bold</b> &amp; friends" in text
    assert "<script>alert('subject')</script>" in css(doc, ".cable-subject")[0].text_content()
    hits = page(client, "/?q=hackers+markup")
    assert '<script>alert("pwned")</script>' in css(hits, "p.snippet")[0].text_content()


# --- the pieces -----------------------------------------------------------------------------

def test_mark_spans_escapes_before_marking():
    from search.web.highlight import mark_spans

    text = 'a <b>x</b> & "y"'
    assert str(mark_spans(text, [(3, 6), (13, 16), (4, 5)])) == \
        'a &lt;<mark>b&gt;x</mark>&lt;/b&gt; &amp; <mark>&#34;y&#34;</mark>'


def test_a_request_ceiling_only_lowers_the_servers():
    from search.web.params import BadParameter, SearchParams

    lifted = SearchParams.from_args({"max_level": "TOP SECRET"}, "CONFIDENTIAL")
    assert lifted.max_level == "CONFIDENTIAL"
    assert SearchParams.from_args({"max_level": "u"}, "CONFIDENTIAL").max_level == "UNCLASSIFIED"
    assert SearchParams.from_args({}, "SECRET").max_level == "SECRET"
    assert SearchParams.from_args({"max_level": "secret"}, None).max_level == "SECRET"
    with pytest.raises(BadParameter):
        SearchParams.from_args({"max_level": "COSMIC"}, "SECRET")


def test_histogram_fills_empty_months_and_escapes_links():
    from search.web.histogram import fill_gaps, histogram_svg

    assert fill_gaps([("2009-11", 2), ("2010-02", 1)], "month") == [
        ("2009-11", 2), ("2009-12", 0), ("2010-01", 0), ("2010-02", 1)]
    svg = str(histogram_svg([("2003", 1), ("2005", 4)], "year", lambda key: f"/?q=a&from={key}"))
    assert svg.count("<rect") == 3 and svg.count("<a ") == 2 and "/?q=a&amp;from=2005" in svg


def test_serve_refuses_a_bad_ceiling_and_a_missing_index(tmp_path, index):
    runner = CliRunner()
    bad = runner.invoke(cli, ["serve", "--index", str(index), "--max-level", "COSMIC"])
    assert bad.exit_code == 2 and "max-level" in bad.output
    missing = runner.invoke(cli, ["serve", "--index", str(tmp_path / "nothing-here")])
    assert missing.exit_code == 1 and "Traceback" not in missing.output


def test_only_loopback_counts_as_local():
    from search.web.app import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")

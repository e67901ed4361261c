"""The partner page as Chromium lays it out: a field path, an event id or a case id is never
broken in the middle of a word to make a table fit (``word-break: break-all`` did that to
``children[].ethnicity`` beside a long message); an id may wrap at its hyphens."""

from __future__ import annotations

import html
import json
import re
from importlib import resources
from pathlib import Path
from types import SimpleNamespace

from jinja2 import Environment, select_autoescape

from tests.fixtures.chromium import chromium

PATHS = ("children[].ethnicity", "data.notified_date", "subject", "children[0].date_of_birth")
MESSAGE = ("the value is not one of the contract's codes; see the contract's enumerations for this field, "
           "which list every code a partner may send, with the version of the contract that added it") * 2

# Appended to the rendered page: for each <code> of a table, the text before each line break
# (where the next character starts lower than the one before), for --dump-dom.
MEASURE = """<script>
const breaks = [...document.querySelectorAll('table code')].map(c => {
  const t = c.firstChild, before = [];
  let top = null;
  for (let i = 0; i < t.length; i++) {
    const r = document.createRange(); r.setStart(t, i); r.setEnd(t, i + 1);
    const y = Math.round(r.getBoundingClientRect().top);
    if (top !== null && y > top) before.push(t.data.slice(0, i));
    top = y;
  }
  return [c.textContent, before];
});
document.body.setAttribute('data-breaks', JSON.stringify(breaks));
</script>"""


def _page() -> str:
    template = Environment(autoescape=select_autoescape(default=True, default_for_string=True)).from_string(
        resources.files("producers.gateway").joinpath("partner.html").read_text("utf-8"))
    dead = [SimpleNamespace(id=f"0c5e0000-0000-4000-8000-00000000000{i}", type="uk.gov.cspr.incident.notified.v1",
                            reason="schema_violation", detail="", problems=[{"path": p, "message": MESSAGE}])
            for i, p in enumerate(PATHS)]
    return template.render(
        partner=SimpleNamespace(authority="urn:cspr:la:E06000001"), error=None, dead_letters=dead, held=None,
        accepted=[], reviews=SimpleNamespace(as_of="2021-03-31", overdue=[], due=[]),
        quality=SimpleNamespace(notifications=4, fields_most_often_missing=[
            SimpleNamespace(field=p, missing=1, of=4, missing_pct=25.0) for p in PATHS]))


def test_no_identifier_on_the_partner_page_is_broken_mid_word(tmp_path: Path) -> None:
    page = tmp_path / "partner.html"
    page.write_text(_page().replace("</body>", MEASURE + "</body>"))
    dom = chromium("--window-size=1024,2000", "--dump-dom", page.as_uri(), tmp=tmp_path).stdout
    found = re.search(r"data-breaks=\"([^\"]*)\"", dom)
    assert found, dom[:1000]
    breaks = json.loads(html.unescape(found[1]))
    assert {text for text, _ in breaks} >= {*PATHS, "0c5e0000-0000-4000-8000-000000000000"}
    # a field path stays on one line; a longer id may wrap, at a hyphen only
    assert [(text, before) for text, before in breaks if text in PATHS and before] == []
    assert [(text, before) for text, before in breaks if any(not b.endswith("-") for b in before)] == []

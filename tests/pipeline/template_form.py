"""Walking the two-step template form as a browser would: read each step's fields (inputs, the checked
radio, each select's selected option), change some, and submit with the button the merchant presses."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlencode


class _FormFields(HTMLParser):
    """The fields of the page's template form, as a browser would submit them."""

    def __init__(self):
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self.method, self.action = None, None
        self._in_form = self._done = False
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self._done:
            return
        if tag == "form" and a.get("action", "").startswith("/templates/") and not self._in_form:
            self._in_form, self.method, self.action = True, a.get("method", "get"), a["action"]
        if not self._in_form:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button"):
            if a.get("type") in ("radio", "checkbox"):
                if "checked" in a:
                    self.fields.append((a["name"], a.get("value", "on")))
            else:
                self.fields.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self._select, self._select_first, self._select_chosen = a.get("name"), None, None
        elif tag == "option" and self._select is not None:
            if self._select_first is None:
                self._select_first = a.get("value", "")
            if "selected" in a:
                self._select_chosen = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self.fields.append((a["name"], ""))

    def handle_data(self, data):
        if getattr(self, "_textarea", None):
            name, text = self.fields[-1]
            self.fields[-1] = (name, text + data)

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        if tag == "select" and self._select is not None:
            chosen = self._select_chosen if self._select_chosen is not None else self._select_first
            if chosen is not None:
                self.fields.append((self._select, chosen))
            self._select = None
        if tag == "form" and self._in_form:
            self._in_form, self._done = False, True


def form_fields(html: str) -> tuple[str, str, list[tuple[str, str]]]:
    parser = _FormFields()
    parser.feed(html)
    assert parser.action, "the page has a form"
    return parser.method.lower(), parser.action, parser.fields


def _changed(fields: list[tuple[str, str]], changes: dict[str, str]) -> list[tuple[str, str]]:
    present = {name for name, _ in fields}
    out = [(name, changes.get(name, value)) for name, value in fields]
    return out + [(name, value) for name, value in changes.items() if name not in present]


def edit_in_browser(client, template_id: int, **changes: str):
    """Open the template's edit form, change the named fields (on whichever step shows them), press
    Next and then Save. Returns the last response."""
    step_one = client.get(f"/templates/{template_id}/edit")
    assert step_one.status_code == 200, step_one.text
    _, action, fields = form_fields(step_one.text)
    step_two = client.get(action + "?" + urlencode(_changed(fields, changes) + [("step", "next")]))
    assert step_two.status_code == 200 and 'value="save"' in step_two.text, step_two.text
    _, action, fields = form_fields(step_two.text)
    data: dict[str, list[str]] = {}
    for name, value in _changed(fields, changes) + [("intent", "save")]:
        data.setdefault(name, []).append(value)
    return client.post(action, data=data)

"""The Webservice's XML: every write is an XML document (PrestaShop takes no JSON input), built with
ElementTree, never by pasting strings; answers in XML (the key's permissions, a full entity to write back
on PrestaShop 1.7, errors) are parsed with defusedxml, which refuses entity tricks from a shop's server.

A body is `<prestashop><{resource}>fields</{resource}></prestashop>`; a field's value is text, None
(an empty element), a `Languages` (a multilingual field), or a list of (tag, fields) children (the
`associations` rows: `cart_rows` of `cart_row`s).
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException

XLINK = "http://www.w3.org/1999/xlink"


@dataclass(frozen=True)
class Languages:
    """A multilingual field: the same text for each language id, or one text per language."""

    by_language: Mapping[str, str]


def document(resource: str, fields: Mapping[str, Any]) -> bytes:
    root = ElementTree.Element("prestashop")
    _fill(ElementTree.SubElement(root, resource), fields)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def _fill(element: ElementTree.Element, fields: Mapping[str, Any]) -> None:
    for name, value in fields.items():
        child = ElementTree.SubElement(element, name)
        if isinstance(value, Languages):
            for language_id, text in value.by_language.items():
                ElementTree.SubElement(child, "language", {"id": str(language_id)}).text = text
        elif isinstance(value, Mapping):
            _fill(child, value)
        elif isinstance(value, list):
            for tag, row in value:
                _fill(ElementTree.SubElement(child, tag), row)
        elif value is not None:
            child.text = _text(value)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def parse(body: bytes) -> ElementTree.Element:
    """An XML answer, parsed safely; `ValueError` when it is not XML."""
    try:
        return safe_xml.fromstring(body)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise ValueError(f"not an XML document: {type(exc).__name__}") from None


def entity(body: bytes) -> ElementTree.Element:
    """The one entity inside `<prestashop>` (a GET of `/api/{resource}/{id}` in XML)."""
    root = parse(body)
    children = list(root)
    if root.tag != "prestashop" or len(children) != 1:
        raise ValueError("not one Webservice entity")
    return children[0]


def with_field(element: ElementTree.Element, name: str, value: Any) -> bytes:
    """The entity read as is, with one field changed, as a document to PUT back: every other field is
    kept exactly as the shop gave it (`xlink:href` attributes are the shop's own; it ignores them)."""
    field = element.find(name)
    if field is None:
        field = ElementTree.SubElement(element, name)
    field.text = _text(value)
    root = ElementTree.Element("prestashop")
    root.append(element)
    ElementTree.register_namespace("xlink", XLINK)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def errors(body: bytes) -> list[str]:
    """The messages of an XML error answer (`<errors><error><message>`), empty when there are none."""
    try:
        root = parse(body)
    except ValueError:
        return []
    return [(message.text or "").strip() for message in root.iter("message") if (message.text or "").strip()]

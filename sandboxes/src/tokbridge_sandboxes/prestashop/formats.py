"""The Webservice's two output formats and its XML input, with lxml (never by pasting strings).

Answers are first built as plain Python values — an entity is a dict of field -> str, or -> {lang: str}
for a multilingual field, plus "associations" -> {name: [row dicts]} — then written as PrestaShop
writes them: XML with CDATA values and xlink references, or JSON whose values are strings (only `id`
is a number) and whose empty list is `[]`.
"""

from __future__ import annotations

import json

from lxml import etree

from .store import WebserviceError

XLINK = "http://www.w3.org/1999/xlink"
HREF = f"{{{XLINK}}}href"
XML_TYPE = "text/xml;charset=utf-8"
JSON_TYPE = "application/json;charset=utf-8"
# No DTDs, no entities, no network: a hostile body cannot reach files or hosts.
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _root() -> etree._Element:
    return etree.Element("prestashop", nsmap={"xlink": XLINK})


def _serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _text(parent: etree._Element, tag: str, value: str, href: str | None = None) -> etree._Element:
    node = etree.SubElement(parent, tag)
    if href:
        node.set(HREF, href)
    if value != "":
        node.text = etree.CDATA(value)
    return node


# -- output -------------------------------------------------------------------------------------
def entity_xml(parent: etree._Element, tag: str, entity: dict, api_url: str, associations_meta: dict) -> None:
    node = etree.SubElement(parent, tag)
    for name, value in entity.items():
        if name == "associations":
            assoc_node = etree.SubElement(node, "associations")
            for assoc_name, rows in value.items():
                element, _fields = associations_meta[assoc_name]
                group = etree.SubElement(assoc_node, assoc_name, nodeType=element, api=assoc_name)
                for row in rows:
                    row_node = etree.SubElement(group, element)
                    if "id" in row and assoc_name in ("combinations", "product_option_values", "stock_availables"):
                        row_node.set(HREF, f"{api_url}{assoc_name}/{row['id']}")
                    for field_name, field_value in row.items():
                        _text(row_node, field_name, str(field_value))
        elif isinstance(value, dict):
            group = etree.SubElement(node, name)
            for lang, text in value.items():
                _text(group, "language", text, f"{api_url}languages/{lang}").set("id", str(lang))
        else:
            _text(node, name, str(value))


def render(
    wrapper: str, tag: str, content: dict | list, output_json: bool, api_url: str, associations_meta: dict | None = None
) -> tuple[bytes, str]:
    """One entity (`content` a dict, under `wrapper` = its tag) or a list of them under `wrapper`,
    each an entity dict or, for a list without `display`, just its id."""
    meta = associations_meta or {}
    if output_json:
        if isinstance(content, list):
            if not content:
                return b"[]", JSON_TYPE
            body = [{"id": item} if isinstance(item, int) else _json_entity(item) for item in content]
        else:
            body = _json_entity(content)
        return json.dumps({wrapper: body}, ensure_ascii=False).encode(), JSON_TYPE
    root = _root()
    if isinstance(content, list):
        group = etree.SubElement(root, wrapper)
        for item in content:
            if isinstance(item, int):
                etree.SubElement(group, tag, id=str(item)).set(HREF, f"{api_url}{wrapper}/{item}")
            else:
                entity_xml(group, tag, item, api_url, meta)
    else:
        entity_xml(root, tag, content, api_url, meta)
    return _serialize(root), XML_TYPE


def _json_entity(entity: dict) -> dict:
    out: dict = {}
    for name, value in entity.items():
        if name == "id" and str(value).isdigit():
            out[name] = int(value)  # the one number PrestaShop's JSON gives; every other value is a string
        elif isinstance(value, dict) and name != "associations":
            out[name] = [{"id": str(lang), "value": text} for lang, text in value.items()]
        else:
            out[name] = value
    return out


def error_body(errors: list[tuple[int, str]], output_json: bool) -> tuple[bytes, str]:
    if output_json:
        return json.dumps(
            {"errors": [{"code": code, "message": message} for code, message in errors]}
        ).encode(), JSON_TYPE
    root = _root()
    group = etree.SubElement(root, "errors")
    for code, message in errors:
        error = etree.SubElement(group, "error")
        _text(error, "code", str(code))
        _text(error, "message", message)
    return _serialize(root), XML_TYPE


def api_index(shop_name: str, api_url: str, granted: dict[str, set[str]], output_json: bool) -> tuple[bytes, str]:
    """GET /api/: each resource the key may use, with a true/false per method."""
    methods = ("get", "put", "post", "patch", "delete", "head")
    if output_json:
        body = {
            "api": {
                name: {m: "true" if m.upper() in granted[name] else "false" for m in methods}
                for name in sorted(granted)
            }
        }
        return json.dumps(body).encode(), JSON_TYPE
    root = _root()
    api = etree.SubElement(root, "api", shopName=shop_name)
    for name in sorted(granted):
        node = etree.SubElement(api, name)
        node.set(HREF, f"{api_url}{name}")
        for m in methods:
            node.set(m, "true" if m.upper() in granted[name] else "false")
        description = etree.SubElement(node, "description")
        description.set(HREF, f"{api_url}{name}")
        description.text = f"The {name.replace('_', ' ')}"
    return _serialize(root), XML_TYPE


FORMATS = {
    "id": "isUnsignedId",
    "int": "isInt",
    "num": "isNegativePrice",
    "bool": "isBool",
    "date": "isDate",
    "email": "isEmail",
    "ro": "isAnything",
}


def synopsis(resource, languages: list[int], api_url: str) -> bytes:
    """`schema=synopsis` in XML: the blank entity, each field saying whether it is required and its format."""
    root = _root()
    node = etree.SubElement(root, resource.entity)
    for f in resource.fields:
        child = etree.SubElement(node, f.name)
        if f.required:
            child.set("required", "true")
        child.set("format", FORMATS.get(f.kind, "isCatalogName" if f.i18n else "isString"))
        if f.i18n:
            for lang in languages:
                language = etree.SubElement(child, "language", id=str(lang))
                language.set(HREF, f"{api_url}languages/{lang}")
    if resource.associations:
        group = etree.SubElement(node, "associations")
        for name, (element, fields) in resource.associations.items():
            row = etree.SubElement(etree.SubElement(group, name, nodeType=element, api=name), element)
            for field_name in fields:
                etree.SubElement(row, field_name)
    return _serialize(root)


# -- input --------------------------------------------------------------------------------------
def parse_entities(body: bytes) -> list[dict]:
    """The entities of a write body: [{"fields": {name: str | {lang: str}}, "associations": {...}}].

    A body that is not XML (JSON included: the Webservice takes none) is PrestaShop's code 127."""
    try:
        root = etree.fromstring(body, PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        length = len(body)
        raise WebserviceError(
            500, 127, f"XML error : {exc}\nXML length : {length}\nOriginal XML : {body.decode('utf-8', 'replace')}"
        ) from None
    entities = []
    for entity in root:
        if not isinstance(entity.tag, str):
            continue
        fields: dict = {}
        associations: dict = {}
        for child in entity:
            if not isinstance(child.tag, str):
                continue
            if child.tag == "associations":
                for group in child:
                    if isinstance(group.tag, str):
                        associations[group.tag] = [
                            {f.tag: (f.text or "").strip() for f in row if isinstance(f.tag, str)}
                            for row in group
                            if isinstance(row.tag, str)
                        ]
            elif len(child) and all(c.tag == "language" for c in child if isinstance(c.tag, str)):
                fields[child.tag] = {
                    int(c.get("id", "0") or 0): (c.text or "") for c in child if isinstance(c.tag, str)
                }
            else:
                fields[child.tag] = (child.text or "").strip()
        entities.append({"fields": fields, "associations": associations})
    return entities

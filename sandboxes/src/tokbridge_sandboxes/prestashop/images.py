"""`/api/images/products/...`: product images as real PNG files (the key is needed, as in PrestaShop),
their listing, and uploads (multipart field `image`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree
from starlette.datastructures import UploadFile

from ..etsy.images import png
from . import formats
from .store import Image, WebserviceError

if TYPE_CHECKING:
    from starlette.responses import Response

    from .webservice import Call

UPLOAD_TYPES = ("image/gif", "image/jpg", "image/jpeg", "image/pjpeg", "image/png", "image/x-png")


IMAGE_SIDE = 800  # PrestaShop's large_default; TikTok takes images from 300 x 300 pixels


def image_bytes(image: Image) -> bytes:
    return image.data if image.data is not None else png(IMAGE_SIDE, IMAGE_SIDE, image.rgb)


def _listing(call: Call, tag: str, ids: list[int], href: str, attributes: dict | None = None) -> Response:
    if call.json:
        body, media = formats.render(tag, tag, [{"id": str(i)} for i in ids] if ids else [], True, call.api_url)
        return call.answer(body, media)
    root = etree.Element("prestashop", nsmap={"xlink": formats.XLINK})
    group = etree.SubElement(root, tag, **(attributes or {}))
    for image_id in ids:
        node = etree.SubElement(group, "declination" if tag == "image" else "image", id=str(image_id))
        node.set(formats.HREF, f"{href}/{image_id}")
    return call.answer(etree.tostring(root, xml_declaration=True, encoding="UTF-8"), formats.XML_TYPE)


async def serve(call: Call, segments: list[str]) -> Response:
    store = call.store
    kind = segments[0] if segments else ""
    if kind != "products":
        return _listing(call, "image_types", [], call.api_url + "images")
    if len(segments) < 2 or not segments[1]:
        products = sorted({img.id_product for img in store.images.values()})
        return _listing(call, "images", products, call.api_url + "images/products")
    product_id = segments[1]
    if store.get("products", product_id) is None:
        raise WebserviceError(404, 60, f"Product #{product_id} does not exist")
    if call.method == "POST":
        return await upload(call, int(product_id))
    if len(segments) < 3 or not segments[2]:
        ids = sorted(i for i, img in store.images.items() if str(img.id_product) == product_id)
        return _listing(call, "image", ids, f"{call.api_url}images/products/{product_id}", {"id": product_id})
    image = store.images.get(int(segments[2])) if segments[2].isdigit() else None
    if image is None or str(image.id_product) != product_id:
        raise WebserviceError(404, 66, "This image id does not exist")
    return call.answer(image_bytes(image), image.mime)


async def upload(call: Call, product_id: int) -> Response:
    form = await call.request.form()
    upload_file = form.get("image")
    if not isinstance(upload_file, UploadFile):
        raise WebserviceError(400, 75, 'Please set an "image" parameter with image data for value')
    mime = (upload_file.content_type or "").lower()
    if mime not in UPLOAD_TYPES:
        raise WebserviceError(
            400, 73, "This type of image format is not recognized, allowed formats are: gif, jpg, jpeg, png"
        )
    data = await upload_file.read()
    store = call.store
    with store.lock:
        image_id = store.new_id("images")
        store.images[image_id] = Image(image_id, product_id, (0, 0, 0), "image/jpeg" if "jp" in mime else mime, data)
    root = etree.Element("prestashop", nsmap={"xlink": formats.XLINK})
    node = etree.SubElement(root, "image")
    for name, value in (("id", image_id), ("id_product", product_id), ("position", image_id), ("cover", "0")):
        etree.SubElement(node, name).text = etree.CDATA(str(value))
    return call.answer(etree.tostring(root, xml_declaration=True, encoding="UTF-8"), formats.XML_TYPE, 200)

"""Listing images as real PNG files, so a connector can fetch and re-upload them."""

from __future__ import annotations

import struct
import zlib
from functools import lru_cache

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

SIZES = {"75x75": (75, 75), "170x135": (170, 135), "570xN": (570, None), "fullxfull": (None, None)}


@lru_cache(maxsize=256)
def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A solid-colour PNG of the given size."""
    row = b"\x00" + bytes(rgb) * width
    raw = row * height

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


async def image_file(request: Request) -> Response:
    sandbox = request.app.state.sandbox
    listing_id, image_id, size = (request.path_params[n] for n in ("listing_id", "image_id", "size"))
    listing = sandbox.listings.get(int(listing_id)) if listing_id.isdigit() else None
    image = None
    if listing is not None and image_id.isdigit():
        image = next((i for i in listing.images if i.listing_image_id == int(image_id)), None)
    if image is None or size not in SIZES:
        return JSONResponse({"error": "Not Found"}, status_code=404)
    width, height = SIZES[size]
    width = width or image.width
    height = height or (image.height if width == image.width else max(1, image.height * width // image.width))
    rgb = tuple(int(image.hex_code[i : i + 2], 16) for i in (0, 2, 4))
    return Response(
        png(width, height, rgb), media_type="image/png", headers={"cache-control": "public, max-age=31536000"}
    )

"""Images for PDF XObjects without Pillow when the file can pass through as it is.

A JPEG (grey or RGB) goes in as DCTDecode; a non-interlaced PNG in grey, RGB (8 bits) or a
palette (1 to 8 bits), without transparency, goes in as its own zlib data with the PNG predictor (nothing
decoded, only checked to inflate to the right size). Anything else (transparency, 16 bits,
interlacing, GIF, BMP, TIFF, CMYK JPEG) is decoded by Pillow, imported only then, into raw
samples and an /SMask for the alpha channel, as reportlab's ``mask="auto"`` drew it.
"""

from __future__ import annotations

import struct
import warnings
import zlib
from typing import Any

from formats.pdfobj import Name, Obj, Stream

__all__ = ["BOMB", "Picture", "UnreadableImage"]

BOMB = 1 << 40  # the size given for an image Pillow refuses as a decompression bomb
_PNG = b"\x89PNG\r\n\x1a\n"
_SOF = frozenset((0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF))


class UnreadableImage(ValueError):
    """The data is not an image, or a damaged one."""


class Picture:
    """An image resource: its size in pixels read from the header, its XObject made on demand."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.kind = "other"
        self._png: dict[str, Any] = {}
        self._pil: Any = None
        self.width, self.height = self._size()

    def _size(self) -> tuple[int, int]:
        data = self.data
        try:
            if data.startswith(_PNG) and data[12:16] == b"IHDR":
                w, h, depth, ctype, _, _, interlace = struct.unpack_from(">IIBBBBB", data, 16)
                self._png = {"depth": depth, "ctype": ctype, "interlace": interlace}
                self.kind = "png"
                return w, h
            if data.startswith(b"\xff\xd8"):
                pos = 2
                while pos + 4 <= len(data):
                    if data[pos] != 0xFF:
                        break
                    marker = data[pos + 1]
                    if marker == 0xFF:
                        pos += 1
                        continue
                    length = struct.unpack_from(">H", data, pos + 2)[0]
                    if marker in _SOF:
                        _, h, w, comps = struct.unpack_from(">BHHB", data, pos + 4)
                        if comps in (1, 3) and b"\xff\xd9" in data[-16:]:
                            self.kind = "jpeg"
                            self._png = {"comps": comps}
                        return w, h
                    pos += 2 + length
        except struct.error:
            pass
        return self._pillow_size()

    def _pillow_size(self) -> tuple[int, int]:
        import io

        from PIL import Image

        self.kind = "other"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                img = Image.open(io.BytesIO(self.data))
            self._pil = img
            return int(img.size[0]), int(img.size[1])
        except Image.DecompressionBombError:
            return BOMB, BOMB
        except Exception:  # noqa: BLE001 - any decoder failure is bad input
            raise UnreadableImage("not a readable image") from None

    def check(self) -> None:
        """Raise UnreadableImage when the pixel data is damaged (the header was read already)."""
        if self.kind == "png" and self._passes_png():
            self._png_stream()
        elif self.kind == "jpeg":
            return
        else:
            self._decoded()

    # -- PNG passed through ---------------------------------------------------------------
    def _passes_png(self) -> bool:
        p = self._png
        depth_ok = p["depth"] == 8 or (p["depth"] in (1, 2, 4) and p["ctype"] in (0, 3))
        return depth_ok and p["interlace"] == 0 and p["ctype"] in (0, 2, 3) and b"tRNS" not in self._chunk_types()

    def _chunk_types(self) -> bytes:
        if "chunks" not in self._png:
            self._png_stream()
        return bytes(self._png["types"])

    def _png_stream(self) -> bytes:
        p = self._png
        if "chunks" in p:
            return bytes(p["idat"])
        data = self.data
        pos = 8
        idat = bytearray()
        types = bytearray()
        palette = b""
        try:
            while pos + 8 <= len(data):
                length, ctype = struct.unpack_from(">I4s", data, pos)
                body = data[pos + 8:pos + 8 + length]
                if len(body) != length:
                    raise UnreadableImage("truncated PNG")
                types += ctype + b" "
                if ctype == b"IDAT":
                    idat += body
                elif ctype == b"PLTE":
                    palette = body
                elif ctype == b"IEND":
                    break
                pos += 12 + length
        except struct.error:
            raise UnreadableImage("truncated PNG") from None
        p.update(chunks=True, idat=bytes(idat), types=bytes(types), palette=palette)
        if self._passes_png():
            channels = {0: 1, 2: 3, 3: 1}[p["ctype"]]
            expected = self.height * (1 + (self.width * channels * p["depth"] + 7) // 8)
            try:
                inflater = zlib.decompressobj()
                size = len(inflater.decompress(bytes(idat), expected + 1))
                if size != expected or not inflater.eof or (p["ctype"] == 3 and not palette):
                    raise UnreadableImage("damaged PNG")
            except zlib.error:
                raise UnreadableImage("damaged PNG") from None
        return bytes(idat)

    # -- anything else, through Pillow ----------------------------------------------------
    def _decoded(self) -> tuple[str, bytes, bytes | None]:
        """(colour space, samples, alpha samples or None) decoded by Pillow (always 8 bits)."""
        if "decoded" in self._png:
            return self._png["decoded"]  # type: ignore[no-any-return]
        import io

        from PIL import Image

        try:
            img = self._pil
            if img is None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                    img = Image.open(io.BytesIO(self.data))
            img.load()
            alpha = None
            if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info) or "transparency" in img.info:
                img = img.convert("RGBA")
                alpha = img.getchannel("A").tobytes()
                if alpha == b"\xff" * len(alpha):
                    alpha = None
                img = img.convert("RGB")
            if img.mode in ("1", "L", "I", "I;16", "F"):
                space, samples = "DeviceGray", img.convert("L").tobytes()
            else:
                space, samples = "DeviceRGB", img.convert("RGB").tobytes()
        except Exception:  # noqa: BLE001 - Pillow's load raises many types on damaged data
            raise UnreadableImage("damaged image") from None
        out = (space, samples, alpha)
        self._png["decoded"] = out
        self._pil = None
        return out

    # -- the XObject ----------------------------------------------------------------------------
    def xobject(self, smask: Obj = None) -> tuple[Stream, Stream | None]:
        """The image XObject (``smask``: the reference its /SMask will have) and the soft mask, if any."""
        base: dict[str, Obj] = {"Type": Name("XObject"), "Subtype": Name("Image"), "Width": self.width,
                                "Height": self.height, "BitsPerComponent": 8}
        if self.kind == "jpeg":
            gray = self._png["comps"] == 1
            return Stream({**base, "ColorSpace": Name("DeviceGray" if gray else "DeviceRGB"), "Filter": Name("DCTDecode")},
                          self.data), None
        if self.kind == "png" and self._passes_png():
            p = self._png
            colors = 3 if p["ctype"] == 2 else 1
            space: Obj = Name("DeviceRGB" if p["ctype"] == 2 else "DeviceGray")
            if p["ctype"] == 3:
                pal = p["palette"]
                space = [Name("Indexed"), Name("DeviceRGB"), len(pal) // 3 - 1, bytes(pal)]
            parms: dict[str, Obj] = {"Predictor": 15, "Colors": colors, "BitsPerComponent": p["depth"], "Columns": self.width}
            return Stream({**base, "ColorSpace": space, "BitsPerComponent": p["depth"], "Filter": Name("FlateDecode"),
                           "DecodeParms": parms},
                          self._png_stream()), None
        space_name, samples, alpha = self._decoded()
        image = Stream({**base, "ColorSpace": Name(space_name), "SMask": smask if alpha is not None else None}, samples)
        mask = None
        if alpha is not None:
            mask = Stream({**base, "ColorSpace": Name("DeviceGray")}, alpha)
        return image, mask

    @property
    def has_mask(self) -> bool:
        """Whether the XObject comes with a soft mask (decodes the image when it is not passed through)."""
        if self.kind == "jpeg" or (self.kind == "png" and self._passes_png()):
            return False
        return self._decoded()[2] is not None

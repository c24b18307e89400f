"""Files to upload in tests, made in code: real PNGs, STLs and OBJs, and hostile ones."""

import io
import struct
import zipfile
import zlib

from PIL import Image, ImageDraw

CUBE_TRIANGLES = [
    ((0, 0, 0), (1, 1, 0), (1, 0, 0)), ((0, 0, 0), (0, 1, 0), (1, 1, 0)),
    ((0, 0, 1), (1, 0, 1), (1, 1, 1)), ((0, 0, 1), (1, 1, 1), (0, 1, 1)),
    ((0, 0, 0), (1, 0, 0), (1, 0, 1)), ((0, 0, 0), (1, 0, 1), (0, 0, 1)),
    ((0, 1, 0), (1, 1, 1), (1, 1, 0)), ((0, 1, 0), (0, 1, 1), (1, 1, 1)),
    ((0, 0, 0), (0, 0, 1), (0, 1, 1)), ((0, 0, 0), (0, 1, 1), (0, 1, 0)),
    ((1, 0, 0), (1, 1, 0), (1, 1, 1)), ((1, 0, 0), (1, 1, 1), (1, 0, 1)),
]  # fmt: skip


def binary_stl(triangles=None, *, scale: float = 1.0, header: bytes = b"coachworks test cube") -> bytes:
    triangles = triangles or CUBE_TRIANGLES
    out = io.BytesIO()
    out.write(header.ljust(80, b" ")[:80])
    out.write(struct.pack("<I", len(triangles)))
    for triangle in triangles:
        out.write(struct.pack("<3f", 0, 0, 0))
        for vertex in triangle:
            out.write(struct.pack("<3f", *(coordinate * scale for coordinate in vertex)))
        out.write(b"\0\0")
    return out.getvalue()


def padded_stl(size: int) -> bytes:
    """A valid binary STL of about `size` bytes: the cube plus degenerate filler triangles."""
    count = max(12, (size - 84) // 50)
    triangles = list(CUBE_TRIANGLES) + [((0, 0, 0), (0, 0, 0), (0, 0, 0))] * (count - 12)
    return binary_stl(triangles)


def ascii_stl() -> bytes:
    lines = ["solid cube"]
    for triangle in CUBE_TRIANGLES:
        lines += ["  facet normal 0 0 0", "    outer loop"]
        lines += [f"      vertex {x} {y} {z}" for x, y, z in triangle]
        lines += ["    endloop", "  endfacet"]
    lines.append("endsolid cube")
    return ("\n".join(lines) + "\n").encode()


def obj_model() -> bytes:
    vertices = sorted({vertex for triangle in CUBE_TRIANGLES for vertex in triangle})
    index = {vertex: number for number, vertex in enumerate(vertices, start=1)}
    lines = ["# cube", "o cube"] + [f"v {x} {y} {z}" for x, y, z in vertices]
    lines += ["f " + " ".join(str(index[vertex]) for vertex in triangle) for triangle in CUBE_TRIANGLES]
    return ("\n".join(lines) + "\n").encode()


def png(width: int = 320, height: int = 200, *, colour: str = "#b4451f") -> bytes:
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 10, width - 10, height - 10), fill=colour)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def decompression_bomb_png(side: int = 30_000) -> bytes:
    """A small, valid 1-bit PNG of `side` x `side` pixels (900 megapixels by default): ~100 KB on disk."""
    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", body) + _chunk(b"IEND", b"")


def pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def zip_archive(names: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in names.items():
            archive.writestr(zipfile.ZipInfo(name), data)
    return out.getvalue()


def html_page() -> bytes:
    return b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def glb_box(extents=(1.0, 2.0, 3.0)) -> bytes:
    import trimesh

    return bytes(trimesh.creation.box(extents).export(file_type="glb"))


def three_mf(*, with_model: bool = True) -> bytes:
    names = {"[Content_Types].xml": b"<Types/>", "_rels/.rels": b"<Relationships/>"}
    if with_model:
        names["3D/3dmodel.model"] = b"<model unit='millimeter'/>"
    return zip_archive(names)

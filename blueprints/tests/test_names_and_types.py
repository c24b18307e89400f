"""Names, types, part sizes and Markdown: the small rules the upload protocol stands on."""

from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from blueprints import storage
from blueprints.filetypes import BY_CODE, file_type_for
from blueprints.licences import Licence, fork_licences
from blueprints.names import clean_file_name, content_disposition_attachment
from blueprints.tests import samples
from core.markdown import render_markdown


@given(st.text(max_size=400))
def test_a_cleaned_name_has_no_separators_controls_or_excess_and_is_stable(name):
    cleaned = clean_file_name(name)

    assert "/" not in cleaned
    assert "\\" not in cleaned
    assert all(ord(char) >= 32 and char not in "\x7f\u202e\u2028" for char in cleaned)
    assert len(cleaned) <= 200
    assert cleaned not in {".", ".."}
    assert clean_file_name(cleaned) == cleaned


def test_a_long_name_keeps_its_extension():
    assert clean_file_name("a" * 500 + ".step").endswith("a.step")
    assert len(clean_file_name("a" * 500 + ".step")) == 200


@given(st.text(min_size=1, max_size=200).map(clean_file_name).filter(bool))
def test_the_download_header_is_ascii_and_carries_the_exact_name(name):
    header = content_disposition_attachment(name)

    header.encode("latin-1")  # a valid HTTP header value
    assert header.isascii()
    assert header.startswith('attachment; filename="')
    assert unquote(header.split("filename*=UTF-8''", 1)[1]) == name
    assert header.count('"') == 2


@pytest.mark.parametrize(
    ("code", "data", "matches"),
    [
        ("png", samples.png(), True),
        ("png", samples.pdf(), False),
        ("stl", samples.binary_stl(), True),
        ("stl", samples.ascii_stl(), True),
        ("stl", samples.binary_stl()[:-1], False),
        ("obj", samples.obj_model(), True),
        ("obj", samples.png(), False),
        ("pdf", samples.pdf(), True),
        ("zip", samples.zip_archive({"a.txt": b"a"}), True),
        ("step", b"ISO-10303-21;\nHEADER;\n", True),
        ("step", samples.html_page(), False),
        ("iges", b"Coachworks IGES".ljust(72) + b"S      1\n", True),
        ("iges", b"S      1\n", False),
        ("dxf", b"999\nmade by hand\n  0\nSECTION\n  2\nHEADER\n", True),
        ("dxf", samples.html_page(), False),
        ("glb", b"glTF\x02\x00\x00\x00" + b"\0" * 20, True),
        ("webp", b"RIFF\x10\x00\x00\x00WEBPVP8 ", True),
        ("jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF", True),
    ],
)
def test_magic_bytes_recognise_each_type(code, data, matches):
    assert BY_CODE[code].matches(data, len(data)) is matches


@pytest.mark.parametrize(
    ("name", "mime", "code"),
    [
        ("Frame.STL", "", "stl"),
        ("frame.stl", "application/octet-stream", "stl"),
        ("photo.JPEG", "image/jpeg", "jpeg"),
        ("photo.jpg", "image/png", None),
        ("frame.stl", "text/html", None),
        ("page.htm", "", None),
        ("vector.svg", "image/svg+xml", None),
    ],
)
def test_the_type_comes_from_the_extension_and_the_declared_mime_type_must_agree(name, mime, code):
    found = file_type_for(name=name, declared_mime_type=mime)

    assert (found.code if found else None) == code


@given(st.integers(min_value=1, max_value=5 * 1024**4))
def test_part_sizes_fit_s3_limits_for_any_file_size(size):
    part_size = storage.part_size_for(size)
    count = storage.part_count_for(size, part_size)
    parts = [storage.expected_part_size(number=number, size=size, part_size=part_size) for number in (1, count)]

    assert part_size >= 5 * 1024**2
    assert count <= 10_000
    assert sum(parts[:1]) * (count - 1) + parts[-1] == size if count > 1 else parts[-1] == size
    assert 0 < parts[-1] <= part_size


def test_share_alike_licences_bind_their_forks():
    assert fork_licences(Licence.CC_BY_SA_4) == (Licence.CC_BY_SA_4,)
    assert Licence.CC_BY_SA_4 in fork_licences(Licence.CC_BY_4)
    assert set(fork_licences(Licence.CC0_1)) == set(Licence.values)
    assert fork_licences(Licence.CERN_OHL_S_2) == (Licence.CERN_OHL_S_2,)


def test_markdown_keeps_formatting_and_drops_scripts_and_javascript_links():
    html = render_markdown(
        "# Title\n\n**bold** [ok](https://example.com) [bad](javascript:alert(1))\n\n"
        '<img src=x onerror=alert(1)><script>alert(2)</script><a href="http://x" onclick="y">z</a>'
    )

    assert "<strong>bold</strong>" in html
    assert '<a href="https://example.com" rel="nofollow noopener">ok</a>' in html
    assert "javascript:" not in html
    assert "<script" not in html
    assert "onerror" not in html
    assert "onclick" not in html
    assert "<img" not in html

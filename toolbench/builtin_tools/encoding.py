"""Encodings and digests: hashes, Base64, URL encoding (standard library)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import urllib.parse
from typing import Any, Literal

from toolbench.builtin_tools._common import builtin

encoding_tool = builtin(
    "Encoding", "Text",
    "Hash digests (MD5, SHA-1, SHA-256, SHA-512) and Base64 / URL encoding and decoding of text.",
)


@encoding_tool
def hash_text(text: str, algorithm: Literal["md5", "sha1", "sha256", "sha512"] = "sha256") -> dict[str, Any]:
    """Compute the hexadecimal hash digest of a UTF-8 text.

    Args:
        text: The text to hash.
        algorithm: "md5", "sha1", "sha256" or "sha512".
    """
    digest = hashlib.new(algorithm, text.encode("utf-8")).hexdigest()
    return {"algorithm": algorithm, "hexdigest": digest}


@encoding_tool
def base64_encode(text: str) -> dict[str, Any]:
    """Encode a UTF-8 text as Base64.

    Args:
        text: The text to encode.
    """
    return {"base64": base64.b64encode(text.encode("utf-8")).decode("ascii")}


@encoding_tool
def base64_decode(data: str) -> dict[str, Any]:
    """Decode Base64 data back into UTF-8 text.

    Args:
        data: The Base64 string, e.g. "aGVsbG8=".
    """
    try:
        raw = base64.b64decode(data.strip(), validate=True)
        return {"text": raw.decode("utf-8")}
    except (binascii.Error, ValueError):
        raise ValueError("data is not valid Base64 of UTF-8 text") from None


@encoding_tool
def url_encode(text: str) -> dict[str, Any]:
    """Percent-encode a text for use in a URL query (spaces become %20).

    Args:
        text: The text to encode.
    """
    return {"encoded": urllib.parse.quote(text, safe="")}

"""What can be measured about an input without a model: text statistics, and for base64 media
the container format, image dimensions, and a WAV file's channels, rate, duration and level."""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import math
import re
import struct
from collections import Counter
from typing import Any

from axonql.agent.trainer import tokens

STOPWORDS = frozenset(
    re.findall(
        r"\w+",
        "a an and are as at be by for from has have in is it its of on or that the this "
        "to was were what when where which who why will with you your i me my we our",
    )
)
_SENTENCE = re.compile(r"[.!?]+(?:\s|$)")
_WORD = re.compile(r"\w")
UNREAD = ("unknown", "not base64")


def text_report(text: str) -> dict[str, Any]:
    """Words, characters, sentences, question form, the five most frequent content words."""
    words = tokens(text)
    counts = Counter(w for w in words if w not in STOPWORDS and len(w) > 1)
    keywords = [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:5]]
    split = text.split()
    return {
        "words": len(split),
        "readable_words": sum(1 for w in split if _WORD.search(w)),
        "tokens": len(words),
        "characters": len(text),
        "sentences": max(1, len(_SENTENCE.findall(text))) if text.strip() else 0,
        "question": text.strip().endswith("?"),
        "keywords": keywords,
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
    }


def decode(data: str) -> bytes | None:
    """Bytes of base64 (or a `data:` URI); None when the string is not base64."""
    payload = data.split(",", 1)[1] if data.startswith("data:") and "," in data else data
    try:
        return base64.b64decode(payload.strip(), validate=True) if payload.strip() else None
    except (binascii.Error, ValueError):
        return None


def _jpeg_size(raw: bytes) -> tuple[int, int] | None:
    at = 2
    while at + 9 < len(raw):
        if raw[at] != 0xFF:
            return None
        marker = raw[at + 1]
        length = struct.unpack(">H", raw[at + 2 : at + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", raw[at + 5 : at + 9])
            return width, height
        at += 2 + length
    return None


def image_report(raw: bytes) -> dict[str, Any]:
    size: tuple[int, int] | None = None
    kind = "unknown"
    if raw.startswith(b"\x89PNG\r\n\x1a\n") and len(raw) >= 24:
        kind, size = "png", struct.unpack(">II", raw[16:24])
    elif raw[:6] in (b"GIF87a", b"GIF89a") and len(raw) >= 10:
        kind, size = "gif", struct.unpack("<HH", raw[6:10])
    elif raw.startswith(b"\xff\xd8"):
        kind, size = "jpeg", _jpeg_size(raw)
    elif raw.startswith(b"BM") and len(raw) >= 26:
        width, height = struct.unpack("<ii", raw[18:26])
        kind, size = "bmp", (width, abs(height))
    elif raw.startswith(b"RIFF") and raw[8:12] == b"WEBP":
        kind = "webp"
    report: dict[str, Any] = {"format": kind, "bytes": len(raw)}
    if size is not None:
        report["width"], report["height"] = int(size[0]), int(size[1])
    return report


def audio_report(raw: bytes) -> dict[str, Any]:
    report: dict[str, Any] = {"format": "unknown", "bytes": len(raw)}
    if raw.startswith(b"RIFF") and raw[8:12] == b"WAVE":
        report["format"] = "wav"
        at = 12
        channels = rate = bits = 0
        while at + 8 <= len(raw):
            chunk, length = raw[at : at + 4], struct.unpack("<I", raw[at + 4 : at + 8])[0]
            body = raw[at + 8 : at + 8 + length]
            if chunk == b"fmt " and len(body) >= 16:
                _, channels, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
            elif chunk == b"data" and channels and rate and bits:
                frame = channels * bits // 8
                report.update(channels=channels, sample_rate=rate, bits_per_sample=bits)
                report["duration_seconds"] = round(len(body) / (frame * rate), 3)
                if bits == 16 and len(body) >= 2:
                    samples = struct.unpack(f"<{len(body) // 2}h", body[: len(body) // 2 * 2])
                    rms = math.sqrt(sum(s * s for s in samples) / len(samples)) / 32768
                    report["rms_level"] = round(rms, 4)
            at += 8 + length + (length & 1)
    elif raw.startswith(b"ID3") or raw[:2] in (b"\xff\xfb", b"\xff\xf3"):
        report["format"] = "mp3"
    elif raw.startswith(b"OggS"):
        report["format"] = "ogg"
    elif raw.startswith(b"fLaC"):
        report["format"] = "flac"
    return report


def video_report(raw: bytes) -> dict[str, Any]:
    kind = "unknown"
    if raw[4:8] == b"ftyp":
        brand = raw[8:12].decode("ascii", "replace").strip()
        kind = "quicktime" if brand == "qt" else f"mp4 ({brand})"
    elif raw.startswith(b"\x1a\x45\xdf\xa3"):
        kind = "webm/matroska"
    elif raw.startswith(b"RIFF") and raw[8:12] == b"AVI ":
        kind = "avi"
    return {"format": kind, "bytes": len(raw)}


MEDIA = {"image": image_report, "audio": audio_report, "video": video_report}


def describe(input_type: str, data: Any) -> tuple[str, dict[str, Any]]:
    """A one-line account of the input and the measurements behind it."""
    if input_type == "multimodal":
        if isinstance(data, str) and data.lstrip()[:1] in ("[", "{"):
            with contextlib.suppress(ValueError):
                data = json.loads(data)  # parts sent as JSON text (input_data is a string)
        parts = data if isinstance(data, list) else [data]
        if isinstance(data, dict):
            parts = [{"input_type": k, "input_data": v} for k, v in data.items()]
        found = []
        for part in parts:
            kind = (
                part.get("input_type", part.get("type", "text"))
                if isinstance(part, dict)
                else "text"
            )
            inner = part.get("input_data", part.get("data")) if isinstance(part, dict) else part
            kind = kind if kind in ("text", *MEDIA) else "text"
            found.append(describe(str(kind), inner))
        line = "; ".join(f"part {i + 1}: {text}" for i, (text, _) in enumerate(found))
        return f"{len(found)} parts — {line}", {"parts": [m for _, m in found]}
    text = data if isinstance(data, str) else repr(data)
    if input_type in MEDIA:
        raw = decode(text)
        if raw is None:
            unread = {"format": "not base64", "reference": text[:200], "fetched": False}
            return f"{input_type} input is not base64 data; the reference was not fetched", unread
        report = MEDIA[input_type](raw)
        shown = ", ".join(f"{k}={v}" for k, v in report.items())
        return f"{input_type}: {shown}; sha256 {hashlib.sha256(raw).hexdigest()[:16]}", report
    stats = text_report(text)
    keys = ", ".join(stats["keywords"]) or "none"
    kind = "a question" if stats["question"] else "a statement"
    return (
        f"{stats['words']} words in {stats['sentences']} sentence(s), {kind}; keywords: {keys}",
        stats,
    )


def readable_share(report: dict[str, Any]) -> float:
    """How much of the input the measurement could read, 0–1: for text the share of words
    with a letter or digit, for media 1 when the format was recognised, for several parts
    their mean. It is the reference processor's confidence in its own measurement."""
    if "parts" in report:
        parts = [readable_share(p) for p in report["parts"]]
        return round(sum(parts) / len(parts), 4) if parts else 0.0
    if "format" in report:
        return 0.0 if report["format"] in UNREAD else 1.0
    words = report.get("words") or 0
    return round(report.get("readable_words", 0) / words, 4) if words else 0.0

"""The channel between the trusted grader and the sandboxed worker: data only, never code or objects.

A message is a value built from ``None``, bools, ints, floats, strings, numpy
arrays of numbers or bools, and lists, tuples and dicts (with string keys) of
these. It is written as one zip archive: each array's raw bytes as a member
``a<i>.bin``, and the shape of the value as a JSON member ``tree.json`` that
gives each array's dtype (numbers and bools only) and shape. Reading it back
parses JSON and copies bytes into arrays, nothing else: no pickle, no
``eval`` (not even numpy's header parser), so no byte of a message can run
code on the reader's side, and a notebook that replaces ``builtins.compile``
cannot break the worker's reading of the grader's requests. Anything else (an object with ``__array__``, a generator, a
numpy scalar subclass, an object array) is refused when it is written: the
reader sees a ``wrong type`` rather than the object.

Frames on the wire: an 8-byte big-endian length, then the archive.

This module imports only the standard library and numpy: the worker runs it
inside the sandbox, where nothing else of the course is present.
"""

from __future__ import annotations

import io
import json
import re
import struct
import zipfile
from typing import IO, Any

import numpy as np

__all__ = ["CodecError", "MAX_MESSAGE_BYTES", "encode", "decode", "write_frame", "read_frame", "plain"]

#: The largest message either side accepts (a submission cannot make the grader allocate more).
MAX_MESSAGE_BYTES = 256 * 2**20
_MAX_DEPTH = 32
_HEADER = struct.Struct(">Q")
_DTYPE = re.compile(r"^[<>|=][biuf](1|2|4|8)$")  # bools, integers and floats, any byte order


class CodecError(ValueError):
    """A value that cannot cross the channel, or bytes that are not a message."""


def plain(value: Any, arrays: list[np.ndarray], depth: int = 0) -> Any:
    """The JSON tree of ``value``; its arrays are appended to ``arrays`` and referred to by index."""
    if depth > _MAX_DEPTH:
        raise CodecError(f"the value is nested more than {_MAX_DEPTH} levels deep")
    if value is None or type(value) in (bool, str):
        return {"t": type(value).__name__ if value is not None else "none", "v": value}
    if type(value) is int:
        return {"t": "int", "v": str(value)}
    if type(value) is float:
        return {"t": "float", "v": repr(value)}
    if type(value) in (np.float64, np.float32, np.int64, np.int32, np.bool_):
        return plain(np.asarray(value), arrays, depth)
    if type(value) is np.ndarray:
        if value.dtype.kind not in "biuf" or _DTYPE.match(value.dtype.str) is None:
            raise CodecError(f"an array of dtype {value.dtype} cannot be sent (numbers or bools only)")
        arrays.append(value)
        return {"t": "array", "v": [len(arrays) - 1, value.dtype.str, [int(n) for n in value.shape]]}
    if type(value) in (list, tuple):
        return {"t": type(value).__name__, "v": [plain(item, arrays, depth + 1) for item in value]}
    if type(value) is dict:
        if not all(type(key) is str for key in value):
            raise CodecError("a dict can be sent only if all its keys are strings")
        return {"t": "dict", "v": {key: plain(item, arrays, depth + 1) for key, item in value.items()}}
    raise CodecError(f"a value of type {type(value).__name__} cannot be sent (numbers, strings, numpy arrays, "
                     "and lists, tuples and dicts of them only)")


def encode(value: Any) -> bytes:
    """The archive bytes of ``value``; CodecError if it holds anything but plain data."""
    arrays: list[np.ndarray] = []
    tree = plain(value, arrays)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("tree.json", json.dumps(tree))
        for index, array in enumerate(arrays):
            archive.writestr(f"a{index}.bin", np.ascontiguousarray(array).tobytes())
    return buffer.getvalue()


def _rebuild(node: Any, arrays: dict[int, bytes], depth: int = 0) -> Any:
    if depth > _MAX_DEPTH or not isinstance(node, dict) or set(node) != {"t", "v"}:
        raise CodecError("the message is malformed")
    kind, value = node["t"], node["v"]
    simple = {"none": type(None), "bool": bool, "str": str}
    if kind in simple and type(value) is simple[kind]:
        return value
    if kind in ("int", "float") and type(value) is str:
        try:
            return int(value) if kind == "int" else float(value)
        except ValueError:
            raise CodecError("the message holds a malformed number") from None
    if kind == "array":
        return _array(value, arrays)
    if kind in ("list", "tuple") and type(value) is list:
        items = [_rebuild(item, arrays, depth + 1) for item in value]
        return items if kind == "list" else tuple(items)
    if kind == "dict" and type(value) is dict:
        return {key: _rebuild(item, arrays, depth + 1) for key, item in value.items()}
    raise CodecError(f"the message holds an unknown kind of value ({str(kind)[:20]!r})")


def _array(spec: Any, raw: dict[int, bytes]) -> np.ndarray:
    """The array ``[index, dtype, shape]`` from its member's bytes, after checking that they fit."""
    if not (type(spec) is list and len(spec) == 3 and type(spec[0]) is int and spec[0] in raw
            and type(spec[1]) is str and _DTYPE.match(spec[1]) and type(spec[2]) is list
            and all(type(n) is int and n >= 0 for n in spec[2])):
        raise CodecError("the message holds a malformed array")
    dtype = np.dtype(spec[1])
    count = 1
    for n in spec[2]:
        count *= n
    if count * dtype.itemsize != len(raw[spec[0]]):
        raise CodecError("the message holds an array whose size does not match its data")
    return np.frombuffer(raw[spec[0]], dtype=dtype).reshape(spec[2]).copy()


def decode(data: bytes) -> Any:
    """The value :func:`encode` wrote; CodecError for anything else (never runs code, never unpickles).

    Whatever the bytes are (truncated, nested 100,000 levels deep, compressed members, a lying size),
    the only exception out of here is CodecError: the reader decides what a bad message costs.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if "tree.json" not in archive.namelist() or sum(i.file_size for i in infos) > MAX_MESSAGE_BYTES:
                raise CodecError("the message is malformed or too large")
            if any(info.compress_type != zipfile.ZIP_STORED for info in infos):
                raise CodecError("the message holds a compressed member (messages are stored, never compressed)")
            tree = json.loads(archive.read("tree.json"))
            arrays = {}
            for info in infos:
                name = info.filename
                if name != "tree.json":
                    if not (name.startswith("a") and name.endswith(".bin") and name[1:-4].isdigit()):
                        raise CodecError("the message holds an unexpected member")
                    arrays[int(name[1:-4])] = archive.read(name)
        return _rebuild(tree, arrays)
    except CodecError:
        raise
    except RecursionError:
        raise CodecError(f"the message is nested more than {_MAX_DEPTH} levels deep") from None
    except Exception as error:  # noqa: BLE001 - any other way bytes can fail to be a message
        raise CodecError(f"the message cannot be read: {type(error).__name__}: {str(error)[:200]}") from None


def write_frame(stream: IO[bytes], value: Any) -> None:
    """Encode ``value`` and write it as one frame; CodecError if it is not plain data or too large."""
    data = encode(value)
    if len(data) > MAX_MESSAGE_BYTES:
        raise CodecError(f"the value is too large to send ({len(data)} bytes)")
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise EOFError("the channel closed in the middle of a message")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(stream: IO[bytes]) -> Any:
    """Read one frame and decode it; EOFError when the other side has gone, CodecError for garbage."""
    header = stream.read(_HEADER.size)
    if not header:
        raise EOFError("the channel is closed")
    if len(header) < _HEADER.size:
        header += _read_exactly(stream, _HEADER.size - len(header))
    (size,) = _HEADER.unpack(header)
    if size > MAX_MESSAGE_BYTES:
        raise CodecError(f"a message of {size} bytes is larger than the limit of {MAX_MESSAGE_BYTES}")
    return decode(_read_exactly(stream, size))

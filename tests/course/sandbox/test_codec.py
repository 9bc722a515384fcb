"""The channel's codec (dlfcourse.sandbox.codec): plain data both ways, CodecError for anything else.

Pure functions on bytes and values: no worker, no bubblewrap. What a message may hold (numbers,
strings, numeric arrays, lists, tuples and dicts of them), what encoding refuses (objects that would
run code on the reader's side), and what decoding refuses (a pickle, a lying array header, a
compressed member, a tree nested too deep, garbage): always CodecError, never another exception.
The frames on the wire: an 8-byte length, a limit on it, and an end of channel that is not an error.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile

import numpy as np
import pytest

from dlfcourse.sandbox import codec


def _frame(tree: str, compression: int = zipfile.ZIP_STORED) -> bytes:
    """A message whose tree.json is ``tree`` (and nothing else)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        archive.writestr("tree.json", tree)
    return buffer.getvalue()


def _nested(levels: int):
    value: list = []
    for _ in range(levels):
        value = [value]
    return value


# ----------------------------------------------------------------------------- plain data round-trips


def test_codec_round_trips_plain_data():
    value = {"loss": 1.5, "grads": {"W": np.arange(6.0).reshape(2, 3), "b": np.zeros(3, np.float32)},
             "path": [np.float64(2.0), (1, True, None, "x")], "big": 10**40}
    back = codec.decode(codec.encode(value))
    assert back["big"] == 10**40 and back["path"][1] == (1, True, None, "x")
    assert np.array_equal(back["grads"]["W"], value["grads"]["W"]) and back["grads"]["b"].dtype == np.float32
    assert back["path"][0].shape == () and float(back["path"][0]) == 2.0


def test_a_message_round_trips():
    value = {"a": np.arange(6.0).reshape(2, 3), "b": [1, 2.5, "x", None, True, (np.float32(1.5),)]}
    back = codec.decode(codec.encode(value))
    assert np.array_equal(back["a"], value["a"]) and back["b"][:5] == [1, 2.5, "x", None, True]


def test_a_decoded_array_is_a_copy_the_reader_may_change():
    back = codec.decode(codec.encode(np.arange(3.0)))
    back[0] = 7.0  # a read-only view of the message's bytes would raise here
    assert back.tolist() == [7.0, 1.0, 2.0]


# ----------------------------------------------------------------------------- encoding refuses objects


class ArrayLike:
    """A returned object that would run code while the grader compares it."""

    def __array__(self, *args, **kwargs):
        raise AssertionError("the grader must never call __array__ of a returned object")


@pytest.mark.parametrize("value", [ArrayLike(), np.array([object()]), {1: 2}, lambda: 0, iter([1]),
                                   np.array(["text"]), type("F", (float,), {})(1.0)])
def test_codec_refuses_anything_but_plain_data(value):
    with pytest.raises(codec.CodecError):
        codec.encode(value)


def test_encoding_stops_at_the_depth_limit():
    codec.decode(codec.encode(_nested(codec._MAX_DEPTH)))  # as deep as allowed: sent and read back
    with pytest.raises(codec.CodecError, match="nested more than"):
        codec.encode(_nested(codec._MAX_DEPTH + 2))


# ----------------------------------------------------------------------------- decoding refuses anything but a message


def test_codec_refuses_a_pickle_and_a_lying_array_header():
    import pickle

    with pytest.raises(codec.CodecError):
        codec.decode(pickle.dumps({"value": 1}))
    for spec in ([0, "<f8", [10**12]], [0, "|O", [1]], [0, "<f8", [-1]], [7, "<f8", [1]]):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:  # claims more than it holds, or objects, or nothing
            archive.writestr("tree.json", json.dumps({"t": "array", "v": spec}))
            archive.writestr("a0.bin", b"\0" * 8)
        with pytest.raises(codec.CodecError):
            codec.decode(buffer.getvalue())
    with pytest.raises(codec.CodecError, match="too large|larger"):
        codec.read_frame(io.BytesIO(struct.pack(">Q", codec.MAX_MESSAGE_BYTES + 1)))


@pytest.mark.parametrize("data", [
    _frame('{"t": "list", "v": [' * 100_000 + "]}" * 100_000),  # deeper than json's recursion
    _frame('{"t": "list", "v": [' * 40 + "]}" * 40),  # deeper than the codec's own limit
    _frame('{"t": "str", "v": "' + "x" * 1000 + '"}', zipfile.ZIP_DEFLATED),  # compressed: a bomb's way in
    b"PK\x03\x04 garbage", b"", _frame("not json"), _frame('{"t": "array", "v": [0, "<f8", [10**6]]}'),
])
def test_bytes_that_are_not_a_message_raise_only_codec_error(data):
    with pytest.raises(codec.CodecError):
        codec.decode(data)


@pytest.mark.parametrize("tree", [
    {"t": "int", "v": "12x"}, {"t": "float", "v": "one"}, {"t": "int", "v": 3}, {"t": "object", "v": None},
    {"t": "str"}, {"t": "dict", "v": []}, [1, 2],
])
def test_a_malformed_tree_is_a_codec_error(tree):
    with pytest.raises(codec.CodecError, match="malformed|unknown kind"):
        codec.decode(_frame(json.dumps(tree)))


def test_a_member_that_is_not_an_array_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("tree.json", json.dumps({"t": "none", "v": None}))
        archive.writestr("payload.py", b"print('hello')")
    with pytest.raises(codec.CodecError, match="unexpected member"):
        codec.decode(buffer.getvalue())


# ----------------------------------------------------------------------------- frames on the wire


def test_frames_carry_one_message_each_and_the_end_of_the_channel_is_eof():
    stream = io.BytesIO()
    codec.write_frame(stream, {"op": "call", "args": [np.ones(2)]})
    codec.write_frame(stream, "second")
    data = stream.getvalue()
    assert struct.unpack(">Q", data[:8])[0] == len(codec.encode({"op": "call", "args": [np.ones(2)]}))
    stream.seek(0)
    first = codec.read_frame(stream)
    assert first["op"] == "call" and np.array_equal(first["args"][0], [1.0, 1.0])
    assert codec.read_frame(stream) == "second"
    with pytest.raises(EOFError, match="closed"):
        codec.read_frame(stream)


def test_a_frame_cut_short_is_eof_not_a_message():
    stream = io.BytesIO()
    codec.write_frame(stream, [1, 2, 3])
    data = stream.getvalue()
    with pytest.raises(EOFError, match="middle of a message"):
        codec.read_frame(io.BytesIO(data[:-3]))
    with pytest.raises(EOFError):
        codec.read_frame(io.BytesIO(data[:5]))  # not even the whole length


def test_a_frame_of_garbage_is_a_codec_error():
    with pytest.raises(codec.CodecError):
        codec.read_frame(io.BytesIO(struct.pack(">Q", 5) + b"xxxxx"))


def test_writing_refuses_what_encoding_refuses_and_writes_nothing():
    stream = io.BytesIO()
    with pytest.raises(codec.CodecError):
        codec.write_frame(stream, {"f": lambda: 0})
    assert stream.getvalue() == b""

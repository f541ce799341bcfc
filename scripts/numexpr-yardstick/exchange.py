"""The files the yardstick and its Rust runner exchange.

In a directory: `cases.txt` and `inputs.bin` go to the runner
(`crates/expr/examples/yardstick_runner`), `results.txt` and `results.bin`
come back. The text files have one record per line, fields separated by
tabs; the `.bin` files hold the arrays' raw bytes (native byte order, bool
as one byte 0 or 1), which a record locates by offset and length.

cases.txt:
    hpcrs-yardstick 2
    case  ID  NINPUTS  OUT_DTYPE|-  OUT_SHAPE  OPTIMIZATION|-  EXPRESSION
    input NAME  DTYPE  SHAPE  STRIDES  OFFSET  LENGTH      (NINPUTS lines)

results.txt, one line per case:
    ok    ID  DTYPE  SHAPE  OFFSET  LENGTH
    error ID  MESSAGE
    panic ID  MESSAGE

OPTIMIZATION is numexpr's `optimization=` (none, moderate, aggressive) when
the test passed one, else `-` (numexpr's default, aggressive).
SHAPE and STRIDES are comma-separated (empty for 0-d), STRIDES in elements
over the input's bytes, which start at its lowest-addressed element.
DTYPE is numpy's name: of an input, one of cases.SUPPORTED_DTYPES or bytesN
(strings of N / 8 bytes, whose STRIDES count whole strings); of a result,
bool, int32, int64, float32, float64 or complex128.
Text fields escape backslash, tab, newline and carriage return as \\\\, \\t,
\\n and \\r.
"""

import os

import numpy as np

MAGIC = "hpcrs-yardstick 2"
_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_UNESCAPES = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}


def escape(text):
    """`text` on one line, without tabs."""
    return "".join(_ESCAPES.get(c, c) for c in text)


def unescape(text):
    """The inverse of `escape`."""
    out = []
    chars = iter(text)
    for c in chars:
        if c == "\\":
            c = _UNESCAPES.get(next(chars, "\\"), "\\")
        out.append(c)
    return "".join(out)


def _ints(values):
    return ",".join(str(v) for v in values)


def write_cases(directory, cases):
    """Writes `cases` (each runnable by hpcrs) for the runner."""
    offset = 0
    with open(os.path.join(directory, "inputs.bin"), "wb") as blob, open(
        os.path.join(directory, "cases.txt"), "w", encoding="utf-8"
    ) as text:
        text.write(MAGIC + "\n")
        for case in cases:
            out_dtype, out_shape = case.out if case.out is not None else ("-", ())
            optimization = case.options.get("optimization", "-")
            text.write(
                f"case\t{case.ident}\t{len(case.inputs)}\t{out_dtype}\t{_ints(out_shape)}"
                f"\t{escape(str(optimization))}\t{escape(case.text)}\n"
            )
            for i in case.inputs:
                text.write(
                    f"input\t{escape(i.name)}\t{i.dtype}\t{_ints(i.shape)}\t{_ints(i.strides)}\t{offset}\t{len(i.base)}\n"
                )
                blob.write(i.base)
                offset += len(i.base)


class Answer:
    """hpcrs's answer to one case: an array, or an error (or panic) message."""

    def __init__(self, array=None, error=None, panicked=False):
        self.array = array
        self.error = error
        self.panicked = panicked


def _shape(field):
    return tuple(int(v) for v in field.split(",")) if field else ()


def read_results(directory):
    """The runner's answers, by case id."""
    with open(os.path.join(directory, "results.bin"), "rb") as f:
        blob = f.read()
    answers = {}
    with open(os.path.join(directory, "results.txt"), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            fields = line.rstrip("\n").split("\t")
            kind = fields[0]
            if kind == "ok" and len(fields) == 6:
                ident, dtype, shape = int(fields[1]), np.dtype(fields[2]), _shape(fields[3])
                start, length = int(fields[4]), int(fields[5])
                data = np.frombuffer(blob[start : start + length], dtype=dtype)
                answers[ident] = Answer(array=data.reshape(shape).copy())
            elif kind in ("error", "panic") and len(fields) == 3:
                answers[int(fields[1])] = Answer(error=unescape(fields[2]), panicked=kind == "panic")
            else:
                raise ValueError(f"results.txt line {n}: cannot read {line!r}")
    return answers

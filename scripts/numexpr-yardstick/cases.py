"""What one case of the yardstick is: an expression, its inputs as numexpr
received them, and what numexpr answered.

An input keeps its memory layout: a strided view stays a strided view (its
strides in elements, over the smallest buffer that holds it) and a 0-d array
stays 0-d, so hpcrs is handed exactly what numexpr was.
"""

import dataclasses
import hashlib
from typing import Optional

import numpy as np

# numpy's names of the element types hpcrs computes with (and writes).
OUTPUT_DTYPES = ("bool", "int32", "int64", "float32", "float64", "complex128")
# ... and of those it takes as inputs (it widens the narrower ones as numexpr
# does); byte strings (`bytesN`) too.
SUPPORTED_DTYPES = OUTPUT_DTYPES + ("uint8", "uint16", "uint32", "int8", "int16", "complex64")


def _c_order(shape):
    """The strides, in elements, of a C-ordered array of `shape`."""
    strides = []
    step = 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


@dataclasses.dataclass
class Input:
    """One named input: its element type, shape, layout and values."""

    name: str
    dtype: str
    shape: tuple
    # Strides in elements (negative and zero ones included) over `base`.
    strides: tuple
    # The smallest buffer holding every element, lowest address first.
    base: bytes
    # Whether the values were copied to C order because the byte strides
    # are not a multiple of the element size (a field of a packed record).
    copied: bool = False

    @staticmethod
    def of(name, value):
        """The input numexpr makes of `value` (it calls `numpy.asarray`)."""
        a = np.asarray(value)
        size = a.dtype.itemsize
        if a.size == 0 or size == 0 or any(s % size for s in a.strides):
            c = np.ascontiguousarray(a)
            copied = a.size > 0 and size > 0
            return Input(name, a.dtype.name, a.shape, _c_order(a.shape), c.tobytes(), copied)
        strides = tuple(s // size for s in a.strides)
        span = 1 + sum((n - 1) * abs(s) for n, s in zip(a.shape, strides))
        base = np.zeros(span, dtype=a.dtype)
        # The element at the lowest address is where negative strides start.
        first = sum((n - 1) * -s for n, s in zip(a.shape, strides) if s < 0)
        view = np.lib.stride_tricks.as_strided(
            base[first:], shape=a.shape, strides=a.strides, writeable=True
        )
        view[...] = a
        return Input(name, a.dtype.name, a.shape, strides, base.tobytes())

    def describe(self):
        """`name: dtype[shape]`, with the layout when it is not C order."""
        shape = ",".join(map(str, self.shape))
        text = f"{self.name}: {self.dtype}[{shape}]"
        if self.copied:
            return text + " (copied: its strides are not whole elements)"
        standard = _c_order(self.shape)
        if any(n > 1 and s != c for n, s, c in zip(self.shape, self.strides, standard)):
            text += f" strides {self.strides}"
        return text


@dataclasses.dataclass
class Raised:
    """numexpr raised an exception of this type."""

    kind: str
    message: str

    def describe(self):
        first = self.message.splitlines()[0] if self.message else ""
        return f"raises {self.kind}: {first}"


@dataclasses.dataclass
class Tolerance:
    """How a test compares numexpr's result with the one it expects.

    `mode` is `exact` (assert_array_equal, assert_equal, and results no
    helper looked at), `allclose` (|got - want| <= atol + rtol*|want|, as
    numpy's allclose and assert_allclose) or `decimal` (|got - want| < atol,
    assert_array_almost_equal's 1.5 * 10**-decimal).
    """

    mode: str = "exact"
    rtol: float = 0.0
    atol: float = 0.0
    source: str = "no comparison"

    def describe(self):
        if self.mode == "exact":
            return f"exact ({self.source})"
        return f"{self.mode} rtol={self.rtol:g} atol={self.atol:g} ({self.source})"


@dataclasses.dataclass
class Case:
    """One call of `evaluate` made by numexpr's test suite."""

    ident: int
    test: str
    category: str
    text: str
    options: dict
    inputs: list
    # The dtype and shape of the `out=` array, when the test passed one.
    out: Optional[tuple]
    expected: object  # a numpy array, or Raised
    tolerance: Tolerance = dataclasses.field(default_factory=Tolerance)
    dtype_label: str = ""

    def key(self):
        """What makes two calls the same case (the suite repeats some)."""
        h = hashlib.sha1()
        h.update(repr((self.text, sorted(self.options.items()), self.out)).encode())
        for i in self.inputs:
            h.update(repr((i.name, i.dtype, i.shape, i.strides)).encode())
            h.update(i.base)
        return h.hexdigest()

    def unsupported(self):
        """The type that keeps this case from hpcrs and why, or None."""
        for i in self.inputs:
            if i.dtype not in SUPPORTED_DTYPES and not i.dtype.startswith("bytes"):
                return i.dtype, f"input `{i.name}` is {i.dtype}, not a type hpcrs takes"
        if self.out is not None and self.out[0] not in OUTPUT_DTYPES:
            return self.out[0], f"`out` is {self.out[0]}, not a type hpcrs computes with"
        return None

    def describe(self):
        """The expression, options and inputs on one line."""
        parts = [repr(self.text)]
        opts = ", ".join(f"{k}={v!r}" for k, v in sorted(self.options.items()))
        if opts:
            parts.append(f"[{opts}]")
        parts.append("; ".join(i.describe() for i in self.inputs) or "no inputs")
        if self.out is not None:
            parts.append(f"out={self.out[0]}[{','.join(map(str, self.out[1]))}]")
        return "  ".join(parts)

"""Extracts the cases of numexpr's own test suite by running it.

numexpr's tests call `evaluate` with the arrays they build and then compare
its answer with numpy's. Running them with `evaluate` replaced by a recorder
captures every call exactly as the suite makes it: the expression, the
options, the inputs as numexpr receives them (after `numpy.asarray`, strided
views and 0-d arrays untouched), and numexpr's answer or exception. The
suite's comparison helpers are wrapped too, so that each case keeps the
tolerance its test applies to numexpr.

What is run (`numexpr/tests/test_numexpr.py`):

* `test_expressions`, over the parameter list the module builds (its
  expressions x dtypes x optimisation levels x scalar/array inputs); and
* the test classes of the module's `suite()`, except those that test
  numexpr's machinery rather than expressions: `test_numexpr2` (the same
  tests with two threads), `test_threading_config`, `test_subprocess`, and
  `test_locals_clears_globals` (which runs a child interpreter).

Tests that call `NumExpr`, `validate`/`re_evaluate` or `disassemble` test
numexpr's Python API; those calls are not expression evaluations and are not
recorded (their tests still run).
"""

import ast
import contextlib
import sys
import threading
import types
import unittest
import warnings
import weakref

import numpy as np

from cases import Case, Input, Raised, Tolerance

SKIPPED_CLASSES = {"test_numexpr2", "test_threading_config", "test_subprocess"}
SKIPPED_METHODS = {"test_locals_clears_globals"}


class _Skipped(Exception):
    """The stand-in for `pytest.skip`."""


class _Failed(AssertionError):
    """The stand-in for `pytest.fail`."""


def _fake_pytest():
    """A stand-in for the pieces of pytest the test module uses.

    `mark.parametrize` keeps its parameter list on the function, so the
    yardstick reads the very list numexpr's suite runs.
    """

    def parametrize(names, params):
        def keep(f):
            f.yardstick_params = (names, list(params))
            return f

        return keep

    def skip(msg=""):
        raise _Skipped(msg)

    def fail(msg=""):
        raise _Failed(msg)

    mark = types.SimpleNamespace(parametrize=parametrize, thread_unsafe=lambda f: f)
    return types.SimpleNamespace(mark=mark, skip=skip, fail=fail, __name__="pytest")


def import_test_module():
    """numexpr's test module, imported against the pytest stand-in."""
    saved = sys.modules.get("pytest")
    sys.modules["pytest"] = _fake_pytest()
    try:
        sys.modules.pop("numexpr.tests.test_numexpr", None)
        import numexpr.tests.test_numexpr as tm
    finally:
        if saved is None:
            del sys.modules["pytest"]
        else:
            sys.modules["pytest"] = saved
    return tm


def _names(text, kwargs, local_dict, global_dict):
    """The input names numexpr reads for `text`, in its order."""
    import numexpr.necompiler as nc

    try:
        context = nc.getContext(dict(kwargs))
        names, _ = nc.getExprNames(text, context, sanitize=kwargs.get("sanitize", True) is not False)
        return list(names)
    except Exception:
        # numexpr cannot parse it: hand hpcrs every name the text mentions
        # whose value numexpr could take as an array (not a module or a
        # function), so that hpcrs fails, or not, on the text alone.
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError:
            return []
        found = sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)})
        names = []
        for n in found:
            value = local_dict[n] if n in local_dict else global_dict.get(n)
            if value is not None and np.asarray(value).dtype != object:
                names.append(n)
        return names


class Recorder:
    """Replaces the test module's `evaluate` and comparison helpers."""

    def __init__(self, tm):
        self.tm = tm
        self.real_evaluate = tm.evaluate
        self.cases = {}
        self.order = []
        self.test = "?"
        self.category = "?"
        self.dtype_label = ""
        # (weak reference to a result, case) for the running test: weak, so
        # that the recorder keeps no `out=` array alive (a test checks).
        self.live = []
        self.lock = threading.Lock()

    def evaluate(self, ex, local_dict=None, global_dict=None, out=None, **kwargs):
        frame = sys._getframe(1)
        if local_dict is None:
            local_dict = dict(frame.f_locals)
        if global_dict is None:
            global_dict = frame.f_globals
        kwargs.pop("_frame_depth", None)
        inputs = []
        for name in _names(ex, kwargs, local_dict, global_dict):
            if name in local_dict:
                inputs.append(Input.of(name, local_dict[name]))
            elif name in global_dict:
                inputs.append(Input.of(name, global_dict[name]))
        out_spec = None
        if out is not None:
            o = np.asarray(out)
            out_spec = (o.dtype.name, tuple(o.shape))
        options = {k: v for k, v in kwargs.items() if k not in ("disable_cache",)}
        case = Case(0, self.test, self.category, ex, options, inputs, out_spec, None)
        case.dtype_label = self.dtype_label
        try:
            result = self.real_evaluate(
                ex, local_dict=local_dict, global_dict=global_dict, out=out, **kwargs
            )
        except Exception as e:
            case.expected = Raised(type(e).__name__, str(e))
            self._keep(case)
            raise
        case.expected = np.array(result, copy=True)
        case = self._keep(case)
        with self.lock:
            self.live.append((weakref.ref(result), case))
        return result

    def _keep(self, case):
        key = case.key()
        with self.lock:
            if key in self.cases:
                return self.cases[key]
            case.ident = len(self.order)
            self.cases[key] = case
            self.order.append(case)
        return case

    def _tag(self, args, tolerance):
        """Gives `tolerance` to the recorded results among `args`."""
        with self.lock:
            for arg in args:
                for ref, case in self.live:
                    result = ref()
                    if result is not None and arg is result and case.tolerance.source == "no comparison":
                        case.tolerance = tolerance

    def wrap_helpers(self):
        tm = self.tm
        rec = self

        def wrap(name, tolerance_of):
            real = getattr(tm, name)

            def helper(*args, **kwargs):
                rec._tag(args[:2], tolerance_of(*args, **kwargs))
                return real(*args, **kwargs)

            setattr(tm, name, helper)

        wrap("assert_array_equal", lambda *a, **k: Tolerance("exact", source="assert_array_equal"))
        wrap("assert_equal", lambda *a, **k: Tolerance("exact", source="assert_equal"))
        wrap(
            "assert_allclose",
            lambda actual, desired, rtol=1e-7, atol=0, **k: Tolerance(
                "allclose", rtol, atol, "assert_allclose"
            ),
        )
        wrap(
            "assert_array_almost_equal",
            lambda x, y, decimal=6, **k: Tolerance(
                "decimal", 0.0, 1.5 * 10.0 ** (-decimal), f"assert_array_almost_equal decimal={decimal}"
            ),
        )

        def equal_tolerance(a, b, exact):
            if exact:
                return Tolerance("exact", source="test_expressions' equal, exact")
            atol = 1e-5 if getattr(a, "dtype", None) == np.float32 else 1e-8
            return Tolerance("allclose", 1e-5, atol, "test_expressions' equal")

        wrap("equal", equal_tolerance)
        tm.evaluate = self.evaluate


def _quiet_warnings_module():
    """A `warnings` for the test module whose `simplefilter` does nothing, so
    that `test_expressions` cannot turn numpy's RuntimeWarnings back on."""
    return types.SimpleNamespace(simplefilter=lambda *a, **k: None, warn=warnings.warn)


def _expression_category(section, expr):
    """A row of the table for one of `test_expressions`' expressions: its
    operator or function (or the whole text for the miscellaneous ones)."""
    if section in ("OPERATIONS", "COMPARISONS"):
        tree = ast.parse(expr, mode="eval").body
        op = tree.ops[0] if isinstance(tree, ast.Compare) else tree.op
        symbol = {
            ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Mod: "%",
            ast.Pow: "**", ast.Lt: "<", ast.LtE: "<=", ast.Eq: "==", ast.GtE: ">=",
            ast.Gt: ">", ast.NotEq: "!=",
        }[type(op)]
        return f"{section} {symbol}"
    if section in ("1_ARG_FUNCS", "2_ARG_FUNCS"):
        calls = [n.func.id for n in ast.walk(ast.parse(expr, mode="eval")) if isinstance(n, ast.Call)]
        return f"{section} {calls[0]}"
    if section == "POW_TESTS":
        return f"{section} {expr.split('**', 1)[1]}"
    return f"{section} {expr}"


def _dtype_name(dtype):
    return np.dtype(dtype).name


def collect(progress=None):
    """Runs the suite under the recorder; returns the cases, numexpr's own
    outcomes on its tests here (passed, failed, skipped: a count each) and a
    line per test that fails under numexpr, for the report.
    """
    tm = import_test_module()
    rec = Recorder(tm)
    rec.wrap_helpers()
    tm.warnings = _quiet_warnings_module()
    outcomes = {"passed": 0, "failed": 0, "skipped": 0}
    failures = []

    if not hasattr(tm.test_expressions, "yardstick_params"):
        raise RuntimeError(
            "numexpr's test module has no parametrized test_expressions: "
            "this numexpr's suite is not the one the yardstick reads (2.14)"
        )
    names, params = tm.test_expressions.yardstick_params
    fields = [n.strip() for n in names.split(",")]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for p in params:
            args = dict(zip(fields, p))
            rec.test = (
                f"test_expressions[{args['expr']!r}, {_dtype_name(args['dtype'])}, "
                f"scalar={args['test_scalar']}, {args['optimization']}]"
            )
            rec.category = _expression_category(args["section_name"], args["expr"])
            rec.dtype_label = _dtype_name(args["dtype"])
            rec.live = []
            try:
                tm.test_expressions(*p)
                outcomes["passed"] += 1
            except _Skipped:
                outcomes["skipped"] += 1
            except Exception as e:
                outcomes["failed"] += 1
                failures.append(f"{rec.test}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
        if progress:
            progress(f"test_expressions: {len(params)} parameter sets, {len(rec.order)} cases")

        loader = unittest.defaultTestLoader
        classes = _suite_classes(tm)
        for cls in classes:
            for method in loader.getTestCaseNames(cls):
                if method in SKIPPED_METHODS:
                    continue
                rec.test = f"{cls.__name__}.{method}"
                rec.category = rec.test
                rec.dtype_label = ""
                rec.live = []
                result = unittest.TestResult()
                with contextlib.redirect_stdout(sys.stderr):
                    cls(method).run(result)
                if result.skipped:
                    outcomes["skipped"] += 1
                elif result.failures or result.errors:
                    outcomes["failed"] += 1
                    for _, tb in result.failures + result.errors:
                        failures.append(f"{rec.test}: {tb.strip().splitlines()[-1]}")
                else:
                    outcomes["passed"] += 1
        rec.live = []
    if progress:
        progress(f"targeted tests: {len(rec.order)} cases in all")
    return rec.order, outcomes, failures


def _suite_classes(tm):
    """The TestCase classes numexpr's `suite()` runs, minus the skipped ones."""
    found = []
    for test in _flatten(tm.suite()):
        cls = type(test)
        if cls.__name__ in SKIPPED_CLASSES or cls.__name__ == "TestExpressions":
            continue
        if cls not in found:
            found.append(cls)
    return found


def _flatten(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from _flatten(t)
        else:
            yield t

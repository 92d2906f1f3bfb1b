#!/usr/bin/env python3
"""Turns a refer annotation pickle (refs(unc).p, refs(umd).p, ... from
github lichengunc/refer's data) into the JSON tools/evaluate_refcoco reads.

    scripts/refer_to_json.py 'refcoco/refs(unc).p' ['refcoco/refs(unc).json']

The output defaults to the input's name with .json. Python's standard
library only. The pickles hold nothing but lists, dicts, strings and
numbers, so the unpickler here refuses every class and function: a pickle
that names one is not a refer file, and loading it could run its code.
The pickles were written by Python 2: strings that are not ASCII are read
as bytes and decoded as UTF-8 (Latin-1 where that fails).
"""
import json
import pickle
import sys


class PlainDataUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        raise pickle.UnpicklingError(
            "the pickle names %s.%s; refer pickles hold only lists, dicts, "
            "strings and numbers, so it is not loaded" % (module, name))


def text(b):
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        return b.decode("latin-1")


def plain(value):
    """Bytes (Python 2 strings read as bytes) to str, tuples to lists."""
    if isinstance(value, bytes):
        return text(value)
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def load(path):
    with open(path, "rb") as f:
        try:
            return PlainDataUnpickler(f).load()
        except UnicodeDecodeError:
            pass
    with open(path, "rb") as f:
        return plain(PlainDataUnpickler(f, encoding="bytes").load())


def main(argv):
    if len(argv) not in (2, 3) or argv[1] in ("-h", "--help"):
        sys.stderr.write("usage: refer_to_json.py REFS.p [OUT.json]\n")
        return 2
    source = argv[1]
    target = argv[2] if len(argv) == 3 else (
        source[:-2] if source.endswith(".p") else source) + ".json"
    try:
        refs = plain(load(source))
    except OSError as e:
        sys.stderr.write("refer_to_json.py: cannot read %s: %s\n" % (source, e.strerror))
        return 1
    except (pickle.UnpicklingError, EOFError, ValueError) as e:
        sys.stderr.write("refer_to_json.py: %s: not a refer pickle: %s\n" % (source, e))
        return 1
    if not isinstance(refs, list) or not all(isinstance(r, dict) for r in refs):
        sys.stderr.write("refer_to_json.py: %s: holds %s, not a list of refs (dicts)\n"
                         % (source, type(refs).__name__))
        return 1
    try:
        encoded = json.dumps(refs, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as e:
        sys.stderr.write("refer_to_json.py: %s: a value JSON cannot hold: %s\n" % (source, e))
        return 1
    try:
        with open(target, "w", encoding="utf-8") as f:
            f.write(encoded)
            f.write("\n")
    except OSError as e:
        sys.stderr.write("refer_to_json.py: cannot write %s: %s\n" % (target, e.strerror))
        return 1
    sys.stderr.write("%s: %d refs written to %s\n" % (source, len(refs), target))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""Prints, for every tensor of G_ema's state_dict in a stylegan2-ada-pytorch pickle, its shape, sum and
first 3 values (row-major) as JSON. CheckpointTests compare our Swift loader against this output.

Needs only pickle and numpy: torch and the network code are replaced by stubs, so nothing in the
pickle is run. Usage: python3 tensor_checksums.py tiny32.pkl > tensor_checksums.json
"""
import collections
import io
import json
import pickle
import sys

import numpy as np

DTYPES = {"FloatStorage": np.float32, "HalfStorage": np.float16, "DoubleStorage": np.float64}


class StorageType:
    def __init__(self, name):
        self.dtype = DTYPES[name]


def load_from_bytes(b):
    """A legacy torch.save stream of one storage: magic, protocol, sys info, object, keys, raw data."""
    f = io.BytesIO(b)
    assert pickle.load(f) == 0x1950A86A20F9469CFC6C
    assert pickle.load(f) == 1001
    pickle.load(f)  # sys info
    found = {}

    class Inner(pickle.Unpickler):
        def find_class(self, module, name):
            assert module == "torch" and name in DTYPES, (module, name)
            return StorageType(name)

        def persistent_load(self, pid):
            _, storage_type, key, _location, numel, _view = pid
            found[key] = (storage_type.dtype, numel)
            return key

    root = Inner(f).load()
    keys = pickle.load(f)
    arrays = {}
    for key in keys:
        count = int(np.frombuffer(f.read(8), "<i8")[0])
        dtype, numel = found[key]
        assert count == numel
        arrays[key] = np.frombuffer(f.read(count * np.dtype(dtype).itemsize), dtype=np.dtype(dtype).newbyteorder("<"))
    return arrays[root]


def rebuild_tensor_v2(storage, offset, size, stride, *rest):
    item = storage.itemsize
    view = np.lib.stride_tricks.as_strided(storage[offset:], shape=tuple(size), strides=tuple(s * item for s in stride))
    return np.array(view, dtype=np.float32)


def rebuild_parameter(data, *rest):
    return data


class Persistent:
    def __init__(self, meta):
        self.meta = meta


STUBS = {
    ("torch_utils.persistence", "_reconstruct_persistent_obj"): Persistent,
    ("torch._utils", "_rebuild_tensor_v2"): rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): rebuild_parameter,
    ("torch.storage", "_load_from_bytes"): load_from_bytes,
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("builtins", "set"): set,
}


class Outer(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in STUBS:
            return STUBS[(module, name)]
        if module.startswith("numpy"):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"unexpected global {module}.{name}")


def state_dict(obj, prefix, out):
    state = obj.meta["state"]
    for field in ("_parameters", "_buffers"):
        for k, v in state[field].items():
            if v is not None:
                out[prefix + k] = v
    for k, m in state["_modules"].items():
        if m is not None:
            state_dict(m, prefix + k + ".", out)


def main():
    with open(sys.argv[1], "rb") as f:
        data = Outer(f).load()
    tensors = {}
    state_dict(data["G_ema"], "", tensors)
    out = {}
    for name, t in tensors.items():
        flat = t.reshape(-1)
        out[name] = {"shape": list(t.shape), "sum": float(flat.astype(np.float64).sum()),
                     "first": [float(x) for x in flat[:3]]}
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main()

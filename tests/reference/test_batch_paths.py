"""The batch paths of reference/conv_core.py (issue 14) against torch in float64.

- The forward im2col path gathers a chunk of images into one buffer and runs one matmul per chunk
  (``GEMM_CHUNK_BYTES``): shrunk here so a batch of 5 is cut into chunks of 1, 2 and 3 images (a chunk
  of one writes straight into the output; a shorter last chunk), over strides, paddings, dilations,
  groups, odd sizes and 1-d/3-d.
- A large NumPy batch is split into one share per BLAS thread, each share run in a worker thread with
  BLAS limited to one thread (``_shares``): forced here with ``SPLIT_MIN_MACS = 0`` and two BLAS threads,
  with a spy proving the split happened; forward, both backward outputs (the weight gradient sums the
  shares), the col2im transposed convolution, and the BLAS limit restored afterwards.
"""
from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from threadpoolctl import threadpool_limits

import reference
from reference import conv_core, validation
from ref_oracles import resolve_padding, rng_arrays, torch_pad_arg


@pytest.fixture
def fresh_plans(monkeypatch):
    """An empty plan cache (plans hold chunk sizes derived from the module constants)."""
    monkeypatch.setattr(validation, "_PLANS", {})


def _torch_grads(x, w, b, dout, **kw):
    """torch's y, dx, dw of ``conv{nd}d`` in float64."""
    conv = {3: F.conv1d, 4: F.conv2d, 5: F.conv3d}[x.ndim]
    kw = dict(kw)
    pairs = resolve_padding(kw.pop("padding"), x.shape[2:], w.shape[2:], kw["stride"], kw["dilation"])
    xt, wt = torch.from_numpy(x).requires_grad_(), torch.from_numpy(w).requires_grad_()
    out = conv(F.pad(xt, torch_pad_arg(pairs)), wt, torch.from_numpy(b), **kw)
    out.backward(torch.from_numpy(dout))
    return out.detach().numpy(), xt.grad.numpy(), wt.grad.numpy()


CASES = [  # (x shape, w shape, stride, padding, dilation, groups)
    ((5, 3, 11, 9), (4, 3, 3, 3), 1, 1, 1, 1),
    ((5, 4, 13, 10), (6, 2, 3, 2), (2, 1), ((1, 0), (2, 1)), 1, 2),
    ((5, 3, 12, 12), (5, 3, 5, 5), 1, 2, 1, 1),
    ((5, 6, 15, 14), (6, 3, 3, 3), 2, 1, (2, 1), 2),
    ((5, 2, 17), (3, 2, 4), 3, 2, 2, 1),
    ((5, 2, 5, 6, 7), (4, 1, 2, 3, 2), (1, 2, 1), 1, 1, 2),
]


@pytest.mark.parametrize("chunk_images", [1, 2, 3])
@pytest.mark.parametrize("xs,ws,stride,padding,dilation,groups", CASES)
def test_im2col_chunks_join_exactly(monkeypatch, fresh_plans, chunk_images, xs, ws, stride, padding, dilation, groups):
    x, w, b = rng_arrays(len(xs) * 10 + chunk_images, xs, ws, (ws[0],))
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    conv = {3: reference.conv1d, 4: reference.conv2d, 5: reference.conv3d}[x.ndim]
    seen = []
    real = conv_core._forward_im2col

    def spy(xp, xpad, w_, geom):
        seen.append(geom.gemm_chunk)
        return real(xp, xpad, w_, geom)

    monkeypatch.setattr(conv_core, "_forward_im2col", spy)
    monkeypatch.setattr(conv_core, "SPLIT_MIN_MACS", 10**18)  # one thread: the chunks are what is tested
    # the bytes of one image's patches, read from the plan the first call builds
    conv(x[:1], w, **kw)
    plan = next(iter(validation._PLANS.values()))
    per_image = plan.geometry.c * plan.geometry.K * plan.geometry.P * x.itemsize
    monkeypatch.setattr(conv_core, "GEMM_CHUNK_BYTES", chunk_images * per_image)
    validation._PLANS.clear()
    seen.clear()
    ours = conv(x, w, b, **kw)
    if plan.geometry.row_taps is None and not plan.geometry.winograd:
        assert seen == [chunk_images], "the im2col path did not run with the intended chunk"
    exact, _, _ = _torch_grads(x, w, b, np.zeros((5,) + ours.shape[1:]), **kw)
    np.testing.assert_allclose(ours, exact, rtol=1e-10, atol=1e-10)


@pytest.fixture
def split(monkeypatch, fresh_plans):
    """Every NumPy call of two or more images is split across two BLAS threads; yields the list of the
    shares' sizes seen by the worker threads (from the worker threads themselves)."""
    monkeypatch.setattr(conv_core, "SPLIT_MIN_MACS", 0)
    shares = []
    real_forward, real_grad, real_col2im = conv_core._forward, conv_core._weight_grad, conv_core._transpose_col2im

    def record(fn, name):
        def wrapper(xp, *args):
            batch = args[0] if name != "weight_grad" else args[1]
            shares.append((name, batch.shape[0], threading.current_thread().name.startswith("reference-conv"),
                           conv_core._BLAS.count()))
            return fn(xp, *args)
        return wrapper

    monkeypatch.setattr(conv_core, "_forward", record(real_forward, "forward"))
    monkeypatch.setattr(conv_core, "_weight_grad", record(real_grad, "weight_grad"))
    monkeypatch.setattr(conv_core, "_transpose_col2im", record(real_col2im, "col2im"))
    with threadpool_limits(limits=2, user_api="blas"):
        yield shares


@pytest.mark.parametrize("xs,ws,stride,padding,dilation,groups", CASES[:4])
def test_split_batch_forward_and_backward_match_torch(split, xs, ws, stride, padding, dilation, groups):
    x, w, b = rng_arrays(7, xs, ws, (ws[0],))
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    ours = reference.conv2d(x, w, b, **kw)
    (dout,) = rng_arrays(8, ours.shape)
    exact, dx_t, dw_t = _torch_grads(x, w, b, dout, **kw)
    np.testing.assert_allclose(ours, exact, rtol=1e-10, atol=1e-10)
    assert sorted(s[1] for s in split if s[0] == "forward") == [2, 3], split
    assert all(in_worker and blas == 1 for _, _, in_worker, blas in split), "a share ran outside a worker or with >1 BLAS thread"
    split.clear()
    dx, dw, db = reference.conv2d_backward(dout, x, w, **kw)
    np.testing.assert_allclose(dx, dx_t, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(dw, dw_t, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(db, dout.sum(axis=(0, 2, 3)), rtol=1e-12)
    assert sorted(s[1] for s in split if s[0] == "weight_grad") == [2, 3], split
    assert conv_core._BLAS.count() == 2, "the BLAS thread limit was not restored"


def test_split_col2im_transpose_matches_torch(split):
    """A stride-2 transposed convolution (w^T x then col2im) split across the threads."""
    x, w = rng_arrays(9, (5, 4, 6, 7), (4, 3, 3, 3))
    ours = reference.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1, groups=2)
    exact = F.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(w), stride=2, padding=1, output_padding=1,
                               groups=2).numpy()
    np.testing.assert_allclose(ours, exact, rtol=1e-10, atol=1e-10)
    assert sorted(s[1] for s in split if s[0] == "col2im") == [2, 3], split


def test_one_image_and_one_blas_thread_are_not_split(split):
    x, w = rng_arrays(10, (1, 3, 9, 9), (4, 3, 3, 3))
    reference.conv2d(x, w)
    with threadpool_limits(limits=1, user_api="blas"):
        reference.conv2d(np.concatenate([x, x]), w)
    assert [(s[1], s[2]) for s in split] == [(1, False), (2, False)]


def test_concurrent_callers_get_right_answers_and_leave_blas_as_it_was(split):
    """Two user threads convolving at once: one splits, the other (finding the split busy) runs whole;
    both results are torch's, and BLAS keeps its two threads afterwards."""
    x, w, b = rng_arrays(11, (6, 8, 20, 20), (8, 8, 3, 3), (8,))
    exact = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), padding=1).numpy()
    results, errors = [None] * 4, []

    def work(i):
        try:
            for _ in range(3):
                results[i] = reference.conv2d(x, w, b, padding=1)
        except Exception as exc:  # reported below: a thread's exception would otherwise vanish
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for r in results:
        np.testing.assert_allclose(r, exact, rtol=1e-10, atol=1e-10)
    assert conv_core._BLAS.count() == 2

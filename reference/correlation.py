"""Single-image cross-correlation and convolution, as in ``scipy.signal``.

Deep-learning "convolution" is a cross-correlation: the kernel is not
flipped. Signal processing's convolution flips it. These two teaching helpers
put the difference one call apart; both run on the :func:`conv2d` machinery.
"""

from .backend import array_namespace
from .convolution import _convolution
from .validation import as_numeric_array

__all__ = ["correlate2d", "convolve2d"]

_MODES = ("valid", "same", "full")


def _mode_padding(fn, mode, kernel_shape, flipped):
    """Zero padding (before, after) per axis that gives SciPy's output for ``mode``.

    SciPy centres "same" on the "full" result; for an even kernel length the
    two functions centre differently: correlate2d keeps ``(k-1)//2`` zeros
    before, convolve2d ``k//2``.
    """
    if not isinstance(mode, str) or mode.lower() not in _MODES:
        raise ValueError(f"{fn}: mode must be one of 'valid', 'same', 'full', got {mode!r}")
    mode = mode.lower()
    if mode == "valid":
        return ((0, 0), (0, 0))
    if mode == "full":
        return tuple((k - 1, k - 1) for k in kernel_shape)
    if flipped:
        return tuple((k // 2, (k - 1) // 2) for k in kernel_shape)
    return tuple(((k - 1) // 2, k // 2) for k in kernel_shape)


def _single_image(fn, image, kernel, mode, flipped):
    xp = array_namespace(image, kernel)
    image = as_numeric_array(xp, image, "image", fn)
    kernel = as_numeric_array(xp, kernel, "kernel", fn)
    for name, a in (("image", image), ("kernel", kernel)):
        if a.ndim != 2:
            raise ValueError(f"{fn}: {name} must be 2-D (height, width), got shape {tuple(a.shape)}")
        if 0 in a.shape:
            raise ValueError(f"{fn}: {name} must not be empty, got shape {tuple(a.shape)}")
    pads = _mode_padding(fn, mode, kernel.shape, flipped)
    if mode.lower() == "valid" and (kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]):
        raise ValueError(
            f"{fn}: kernel shape {tuple(kernel.shape)} is larger than the image shape {tuple(image.shape)} "
            "in mode 'valid' (the kernel must fit inside the image); use mode='same' or 'full'"
        )
    if flipped:
        kernel = kernel[::-1, ::-1]
    # A single-channel, single-image conv2d; its validation reports the kernel-size rule under fn's name.
    return _convolution(fn, 2, image[None, None], kernel[None, None], None, 1, pads, 1, 1, "NCHW", xp)[0, 0]


def correlate2d(image, kernel, mode="valid"):
    """2-D cross-correlation of one image with one kernel, zero fill, as ``scipy.signal.correlate2d``.

    .. math:: z[i, j] = \\sum_{m, n} x[i + m - p_h, j + n - p_w]\\, k[m, n]

    with ``x`` zero outside the image. This is what deep-learning libraries
    call convolution (:func:`conv2d` with one channel).

    Notation: ``h_I, w_I`` image size, ``h_K, w_K`` kernel size.

    Parameters
    ----------
    image : array, shape (h_I, w_I)
    kernel : array, shape (h_K, w_K)
    mode : {"valid", "same", "full"}, default "valid"
        "valid": output ``(h_I - h_K + 1, w_I - w_K + 1)``, the kernel stays
        inside the image (it must fit); "same": output ``(h_I, w_I)``,
        centred as SciPy does (for even kernels ``(h_K-1)//2`` zero rows
        above, ``h_K//2`` below); "full": output ``(h_I + h_K - 1, w_I + w_K - 1)``.

    Returns
    -------
    array, shape as given by ``mode``
        Equal to ``scipy.signal.correlate2d(image, kernel, mode, boundary="fill", fillvalue=0)``
        (in floating point: float32 stays float32, integers become float64).

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((8, 8)); image[:, 3] = 1
    >>> correlate2d(image, np.array([[-1, 2, -1]] * 3)).shape
    (6, 6)
    """
    return _single_image("correlate2d", image, kernel, mode, flipped=False)


def convolve2d(image, kernel, mode="valid"):
    """2-D convolution of one image with one kernel (kernel flipped), zero fill, as ``scipy.signal.convolve2d``.

    .. math:: y[i, j] = \\sum_{m, n} x[i - m + q_h, j - n + q_w]\\, k[m, n]

    i.e. ``correlate2d`` with the kernel flipped in both axes. For "valid"
    and "full" (and odd kernels in "same") ``convolve2d(x, k) ==
    correlate2d(x, k[::-1, ::-1])``; for an even kernel in "same" mode SciPy
    centres the two differently and so does this function (``h_K//2`` zero
    rows above, ``(h_K-1)//2`` below).

    Parameters
    ----------
    image : array, shape (h_I, w_I)
    kernel : array, shape (h_K, w_K)
    mode : {"valid", "same", "full"}, default "valid"
        Output shapes as in :func:`correlate2d`.

    Returns
    -------
    array
        Equal to ``scipy.signal.convolve2d(image, kernel, mode, boundary="fill", fillvalue=0)``.

    Examples
    --------
    >>> import numpy as np
    >>> convolve2d(np.eye(3), np.array([[1, 2], [3, 4]]), mode="full")
    array([[1., 2., 0., 0.],
           [3., 5., 2., 0.],
           [0., 3., 5., 2.],
           [0., 0., 3., 4.]])
    """
    return _single_image("convolve2d", image, kernel, mode, flipped=True)

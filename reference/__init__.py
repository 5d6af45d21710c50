"""convgrade's reference implementation of convolution, pooling and CNN layers.

The trusted implementation every student's work is graded against:
vectorised NumPy (CuPy for CuPy arrays), channels-first calls matching
``torch.nn.functional``, channels-last calls matching Keras/TensorFlow
(``Conv*D``, ``Conv*DTranspose``, ``MaxPooling*D``, ``AveragePooling*D``,
with their "valid"/"same").

>>> import numpy as np, reference as ref
>>> x = np.random.default_rng(0).standard_normal((2, 3, 32, 32)).astype(np.float32)
>>> w = np.ones((16, 3, 3, 3), np.float32)
>>> ref.conv2d(x, w, padding=1).shape
(2, 16, 32, 32)
>>> ref.conv_output_size(32, 3, padding=1, stride=2)
16
>>> ref.max_pool2d(np.ones((2, 5, 5, 3)), 2, padding="same", data_format="NHWC").shape
(2, 3, 3, 3)

Modules: ``arithmetic`` (output sizes), ``convolution`` (public conv calls),
``conv_core`` (the shared N-d engine), ``patches`` (pad, im2col, col2im),
``correlation``, ``pooling``, ``activation``, ``gradients``, ``naive`` (loop
versions, a second oracle), ``nn`` (a tiny framework that trains on digits),
``backend`` (NumPy/CuPy dispatch), ``int_checks`` (integer arguments),
``validation`` (array, padding and layout checks of the vectorised functions).
"""

from .activation import relu, relu_backward
from .arithmetic import conv_output_size, conv_transpose_output_size, pool_output_size, same_padding
from .backend import array_namespace
from .convolution import conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d
from .correlation import convolve2d, correlate2d
from .gradients import (
    avg_pool1d_backward,
    avg_pool2d_backward,
    conv2d_backward,
    max_pool1d_backward,
    max_pool2d_backward,
)
from .pooling import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d
from . import naive, nn
from .nn import (
    SGD,
    Conv2d,
    Flatten,
    Linear,
    MaxPool2d,
    ReLU,
    Sequential,
    load_digits_split,
    softmax_cross_entropy,
    train_digits,
)

__version__ = "0.1.0"

__all__ = [
    "conv_output_size",
    "pool_output_size",
    "conv_transpose_output_size",
    "same_padding",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "correlate2d",
    "convolve2d",
    "max_pool1d",
    "max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "relu",
    "relu_backward",
    "conv2d_backward",
    "max_pool1d_backward",
    "max_pool2d_backward",
    "avg_pool1d_backward",
    "avg_pool2d_backward",
    "array_namespace",
    "Conv2d",
    "ReLU",
    "MaxPool2d",
    "Flatten",
    "Linear",
    "Sequential",
    "softmax_cross_entropy",
    "SGD",
    "load_digits_split",
    "train_digits",
    "naive",
    "nn",
]

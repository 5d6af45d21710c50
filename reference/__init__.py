"""convgrade's reference implementation of convolution, pooling and CNN layers."""
__version__ = "0.1.0"

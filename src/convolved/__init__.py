"""Convolved: helpers for a hands-on course on convolution for deep learning."""

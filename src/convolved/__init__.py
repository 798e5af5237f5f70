"""Convolved: helpers for a hands-on course on convolution for deep learning.

The torch-free core (NumPy only): ``_validate`` (argument checks), ``shapes`` (output sizes,
receptive fields, costs), ``ops`` (convolution and pooling from scratch), ``kernels`` and
``transpose``. Everything else builds on torch, matplotlib or ipywidgets: ``data``, ``plotting``,
``diagrams``, ``training``, ``models``, ``transforms``, ``datasets``, the explorers in
``widgets``, the checkers in ``exercises`` and the figures in ``figures``.
"""

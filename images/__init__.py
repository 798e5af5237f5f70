"""The course's figures as package data, ``convolved.images`` (pyproject.toml maps this folder).

`make images` writes the PNG files here; :func:`convolved.figures.show_figure` reads them, from
this folder in a clone (editable install) or from the installed package (e.g. on Colab).
"""

"""Runnable code of the book *Keras and MXNet*: data, models, and the checks behind the text."""

__version__ = "0.1.0"

"""The version of stancekit, in a leaf module that every other module may import."""

__version__ = "0.1.0"

"""webdlbench: how far can deep learning go in this web browser, on this machine, compared with native?"""

__version__ = "0.1.0"

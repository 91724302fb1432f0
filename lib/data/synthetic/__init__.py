"""A synthetic Human3.6M, for the demo and the tests: no licensed data needed; imports
lib.core and every other part of lib.data (it writes every format they read).

    skeleton   the synthetic 32-joint skeleton, its proportions and 15 action styles
    generator  world motion posed from it and written in every format, with the real cameras
"""
from lib.data.synthetic.generator import FORMATS, generate, sequence

__all__ = ['FORMATS', 'generate', 'sequence']

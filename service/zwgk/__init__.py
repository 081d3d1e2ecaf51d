"""zwgk: standard disclosure catalogs (政务公开标准目录) as a linked-data knowledge graph.

Data flows one way: source (``parse``) → records (``records``, ``errata``) →
graph (``citations``, ``registry``, ``graph``, ``build``) → store (``store``) →
queries (``queries``) and the command line (``cli``).
"""

__version__ = "0.1.0"

"""The zwgk benchmarks: ``python -m bench.run`` (scale), ``bench/validation.py``, ``python -m bench.profile``."""

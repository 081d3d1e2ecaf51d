"""The web layer: one app factory, one settings object, separate routers.

``create_app(settings, state)`` builds the FastAPI app; nothing is built at
import time. Routers: ``sparql`` (the SPARQL 1.1 Protocol), ``named`` (named
queries as API), ``linked`` (dereferenceable IRIs and pages), ``ui`` (the query
page and its assets), ``publish`` (dumps, VoID/DCAT, the validation report).
"""

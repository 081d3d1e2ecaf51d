"""The ontology defines every term the graph uses, with zh/en labels and definitions."""

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from conftest import ROOT
from zwgk.graph import ZWGK

FIXED = ["Catalog", "DisclosureItem", "Channel", "inCatalog", "itemNumber", "legalBasis", "disclosureChannel",
         "disclosureLevel", "audience", "disclosureMode", "responsibleAgency", "contactPhone", "deadlineWorkingDays"]


def test_every_used_term_is_defined_with_labels_and_definitions(hami_result):
    onto = Graph().parse(ROOT / "ontology" / "zwgk.ttl")
    used = {t for triple in hami_result.graph for t in triple
            if isinstance(t, URIRef) and str(t).startswith(str(ZWGK))}
    defined = {s for s in onto.subjects(RDF.type, None) if str(s).startswith(str(ZWGK))}
    assert used <= defined, sorted(used - defined)
    for term in defined:
        assert {l.language for l in onto.objects(term, RDFS.label)} >= {"zh", "en"}, term
        assert {l.language for l in onto.objects(term, SKOS.definition)} >= {"zh", "en"}, term


def test_fixed_vocabulary_terms_exist():
    onto = Graph().parse(ROOT / "ontology" / "zwgk.ttl")
    for name in FIXED:
        assert (ZWGK[name], None, None) in onto, name
    assert (ZWGK.inCatalog, RDFS.subPropertyOf, URIRef("http://purl.org/dc/terms/isPartOf")) in onto
    assert (ZWGK.legalBasis, RDFS.subPropertyOf, URIRef("http://data.europa.eu/m8g/hasLegalResource")) in onto

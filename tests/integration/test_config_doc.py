#!/usr/bin/env python3
"""Every element and attribute name of the core schema (etc/bulwark.rng) is
documented in docs/configuration.md (as `name` or <name>)."""
import os
import xml.etree.ElementTree as ET
from bwtest import Tap, src

RNG = "{http://relaxng.org/ns/structure/1.0}"

t = Tap()
schema = ET.parse(src("etc/bulwark.rng")).getroot()
with open(src("docs/configuration.md"), encoding="utf-8") as f:
    doc = f.read()

names = []
for kind in ("element", "attribute"):
    for node in schema.iter(RNG + kind):
        name = node.get("name")
        if name and (kind, name) not in names:
            names.append((kind, name))
t.ok(len(names) >= 20, "the schema names elements and attributes (%d found)" % len(names))

for kind, name in names:
    needle = "<%s>" % name if kind == "element" else "`%s`" % name
    t.ok(needle in doc, "%s %s is documented in docs/configuration.md" % (kind, name),
         "add %s to docs/configuration.md" % needle)

default = open(src("etc/bulwark.xml"), encoding="utf-8").read()
t.ok('name="cdr-csv"' in default and 'name="cdr-csv"' in doc,
     "the documented default lists the same module as etc/bulwark.xml")
t.done()

"""The catalog's schema steps, one module per version, each a frozen text.

A step is the SQL its version ran when it was released, written out literally (never built from
code that may change later), so upgrading a catalog from any past version gives exactly the schema
a new catalog has. A change to the schema is a new module here, appended to ``schema.STEPS``.
"""

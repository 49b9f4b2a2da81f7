"""rosterlab's model of the OneRoster standard: entities, operations, filter grammar, CSV binding."""

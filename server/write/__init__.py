"""Gradebook writes: body validation and the rules a careful SIS applies to them."""

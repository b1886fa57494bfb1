"""Regions of a page: from the layout model (``model``), from heuristics without it (``heuristic``),
pictures the model missed (``figures``), and labels fixed from text (``refine``)."""

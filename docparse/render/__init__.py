"""Renderers: pure functions from a ``Document`` to text (``html``, ``markdown``, ``json``,
``qwenvl``; ``structure`` is what HTML and Markdown share, ``sanitize`` the allowlist for table
markup, ``colors`` the label colours). Nothing here reads or writes a file or opens the PDF:
pictures arrive as ``images={block id: src}`` from ``docparse.output``, which writes the files."""

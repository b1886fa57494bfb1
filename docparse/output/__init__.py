"""Files: everything docparse writes to disk or cuts from the source's pixels.

``docparse.render`` turns a ``Document`` into strings and never touches a file; this package
does the rest, on top of it:

- ``files``: atomic writes, paths kept inside the output folder, the output-folder probe;
- ``stamp``: the ``.docparse-done.json`` a rerun checks to skip a finished document;
- ``assets``: figure crops (file names, PNG bytes, the crop files);
- ``page_images``: whole pages rendered from the source (``pages/``);
- ``overlay``: page images with the block boxes drawn (``overlay/``);
- ``reopen``: the source of a converted ``Document`` opened again for its pixels;
- ``writer``: one document's output folder (the formats, assets, pages, overlays).
"""

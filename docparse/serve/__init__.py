"""``docparse serve``: the conversion API as an HTTP service (FastAPI + uvicorn, extra ``docparse[serve]``).

- ``app``       the FastAPI application: routes, error JSON, auth
- ``upload``    the multipart body read from the stream: size limit while it arrives, spooled to a private folder
- ``jobs``      job records, the bounded queue, TTL expiry
- ``worker``    conversion processes: the engine loaded once per process, conversions off the event loop
- ``fields``    which ``ConvertOptions`` a request may set and how form text becomes typed values
- ``settings``  the server's settings (limits, queue, the engine's options)
- ``command``   the ``docparse serve`` command (options generated from ``ConvertOptions``)

Importing this package does not import FastAPI; ``docparse.serve.app`` does.
"""

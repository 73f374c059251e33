"""The web layer: a Starlette app that serves the built site and whatever routes are added to it.

Only this package (and cli/site.py) imports starlette and uvicorn; the site itself is built by
backbrain.site, which knows nothing of HTTP.
"""

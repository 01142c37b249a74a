"""Jinja2 templates, shipped as package data: ``documents/`` (itineraries, letters, the outputs'
index; rendered by ``planner.outputs``) and ``pages/`` (the web app's pages; ``api.web.render``).

A package of its own so that both find them with ``importlib.resources``, installed or not,
and so that the planner need not reach into ``api/`` nor the web app into ``planner/``.
"""

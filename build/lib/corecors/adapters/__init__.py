"""Adapters that carry corecors decisions into frameworks and proxies.

Each adapter only translates between its framework and
:func:`corecors.decide`; no CORS rule lives here.
"""

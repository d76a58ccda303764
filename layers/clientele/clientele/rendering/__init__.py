"""Pages, emails and SMS texts from the Jinja2 templates in ``templates/``, localised with Babel.

Everything here loads on first use: a function that renders nothing never imports Jinja2 or Babel.
"""

"""The account: merchants, sites, API keys, terms, settings, labels and preference definitions."""

"""Use cases: the rules of Clientele. Called by the API edge, calling repositories."""

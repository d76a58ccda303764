"""The HTTP edge: resolver setup, request/response models, error mapping, principal extraction."""

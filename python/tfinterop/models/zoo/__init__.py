"""The model zoo: small SavedModels exercising what breaks cross-language serving.

Each module exports one model (deterministically, in seconds, in a form every
runtime loads) and builds its golden cases. docs/MODELS.md lists what each
exercises and which transports apply.
"""

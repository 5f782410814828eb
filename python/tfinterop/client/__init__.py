"""The Python client (`tfinterop-python run|bench|info`, docs/CONTRACT.md) and its transports."""

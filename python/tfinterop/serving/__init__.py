"""TF Serving's rules, shared by everything: status codes, APIs, the tensor codec, signature
selection and validation, Predict/GetModelMetadata, the model config, the API protos.

Imports only tfinterop.util (tests/python/test_layers.py).
"""

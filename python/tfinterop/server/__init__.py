"""The bundled TF Serving-compatible model server (`tfinterop serve`).

Imports nothing from the training or model-definition code: a SavedModel
folder and a model config are all it needs, as with tensorflow_model_server.
"""

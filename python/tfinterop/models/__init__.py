"""The models this suite serves: datasets, training, the zoo, and `tfinterop export`, which
writes the SavedModels, the model config and (through tfinterop.golden) their cases.
"""

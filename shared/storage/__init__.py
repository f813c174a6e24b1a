"""The Azure Storage boundary: the only package that imports ``azure.storage``."""

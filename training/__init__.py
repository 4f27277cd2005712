"""xiezuo-ner: named-entity recognition for Chinese East–West cooperation news."""

__version__ = "0.1.0"

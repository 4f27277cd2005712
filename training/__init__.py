"""xiezuo-ner: named-entity recognition for Chinese East–West cooperation news."""

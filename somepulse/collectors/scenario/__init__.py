"""The synthetic scenario: page profiles and the generator with its ground truth."""

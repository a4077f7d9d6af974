"""The method as pure functions on NumPy arrays: classify, aggregate, rank, sample.

Nothing here knows of files, databases or HTTP. Impact classes are integers:
0 is the framework's "none" class (X), 1..K the classes from lowest to highest.
"""

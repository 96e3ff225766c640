"""The ``geo-ntm`` command line: the top of the house, above the API and the maps."""

"""Offline natural-language understanding: intents, slots, segment conditions and multi-step requests.

No network and no language model: a scikit-learn classifier trained on ``data/utterances.yaml`` plus
rule-based slot extraction over the account's catalogue of names. See ``parse.parse`` for the entry point.
"""

"""Kestrel action server: answers from the knowledge base and hands over to people.

rasa-sdk registers every Action subclass in this package's modules.
"""

"""Custom Rasa components of the Kestrel assistant."""

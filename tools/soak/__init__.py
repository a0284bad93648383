"""The soak-and-fault test: many widget conversations through the real services while each
service in turn is killed and restarted (`make soak`, `python -m tools.soak`)."""

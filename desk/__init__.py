"""The support desk: the widget's gateway, the handoff queue and the agent console."""

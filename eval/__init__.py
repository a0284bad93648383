"""Quality evaluations on labelled data (`make eval`)."""

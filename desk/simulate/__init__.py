"""The traffic simulator (`python -m desk.simulate`, `make simulate`): realistic conversations
played through the running system, over the widget protocol and the console API, by simulated
customers (desk/simulate/customer.py) and agents (desk/simulate/team.py) following a seeded
script (desk/simulate/script.py), with a JSON summary of what was played (summary.py).

A backfill (`--backfill-weeks W`) plays weeks of history with past timestamps through the same
running desk, assistant, action server and knowledge service: the desk, in development only,
lets an admin play a conversation "as of" a past moment, and that conversation's own clock moves
on as the script's delays pass (desk/simulated_time.py says why this design and not a second desk
process with a shifted clock: the action server's handoffs go to the running desk).

The widget and console clients (widget.py, agents.py) are also the soak test's (tools/soak)."""

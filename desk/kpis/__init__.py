"""The manager's KPIs, computed from the desk's event log (desk/events.py) by pure functions:

  facts.py     one conversation's events folded into what the KPIs count
  measures.py  each KPI over those facts, and the policy they are measured against (KpiPolicy)
  report.py    GET /api/kpis: range, filters, tables and series by day or week
  floor.py     GET /api/floor: the live queue, agents and SLA risk
  reader.py    where the inputs come from (store, knowledge service, hub)

The README's "Managers: KPIs" defines each figure; docs/contracts/kpis.md gives the JSON."""

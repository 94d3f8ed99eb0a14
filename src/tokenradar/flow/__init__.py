"""The flow engine: due-queues, provider lanes, budgets, retries and breakers.

Data flows token sources → due-queue per facet → lane (budget → breaker → batch
→ provider client) → facet store → sinks (scoring, storage, events). See
``docs/architecture.md``. Import from the modules (``tokenradar.flow.engine``
etc.); this package imports nothing, so importing one of them does not load the
engine. Its settings (``[tiers]``) live in :mod:`tokenradar.settings.tiers`.
"""

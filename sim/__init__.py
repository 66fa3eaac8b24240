"""Wiring of the innovation-ecosystem model: config, levers, markets, KPIs and ensembles."""

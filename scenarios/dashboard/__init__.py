"""The advisor dashboard (``make dashboard``): a Solara app over ensembles of the simulator.

Modules: :mod:`.catalogue` (levers, presets, lever families), :mod:`.state` (one setting of the
levers, validation of typed values, Hydra/YAML export), :mod:`.runs` (preview and full ensembles
of settings A and B with common random numbers), :mod:`.results` (headline table, traffic lights,
costs, CSV), :mod:`.charts` (fan charts), :mod:`.tables` (HTML tables), :mod:`.assumptions`
(behavioural parameters, purpose and limits), :mod:`.assets` (Solara's front-end files from the
npm registry) and ``app.py`` (the Solara page).
"""

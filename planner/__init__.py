"""vertrekplanner: plans special departures (medical repatriations, returns of minors)."""

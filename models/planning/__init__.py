"""From scores to a plan: travel times, the travel network, services within reach, the plan."""

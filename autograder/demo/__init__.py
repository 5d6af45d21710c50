"""``convgrade demo``: a simulated class (:mod:`.simulate`) graded end to end (:mod:`.run`)."""

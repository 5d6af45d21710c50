"""Submissions in: ``collect`` files hand-ins into ``submitted/`` (:mod:`.collect`), reading
folders, the exchange and LMS zips without trusting them (:mod:`.unpack`)."""

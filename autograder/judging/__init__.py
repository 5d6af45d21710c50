"""Judging a student's values: the check contract (:mod:`.contract`), one checks module per
assignment (:mod:`.checks`), the misconceptions behind wrong answers (:mod:`.diagnosis`) and
the "write it yourself" rule (:mod:`.library_use`). Judgements are facts; the words are
:mod:`autograder.language`'s."""

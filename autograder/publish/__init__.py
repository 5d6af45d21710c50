"""What the teacher hands out and reads: feedback pages (:mod:`.feedback_pages`), grade
exports (:mod:`.export`) and the class report (:mod:`.report`), all from the gradebook."""

"""Student content shown without effect: HTML and notebooks sanitised (:mod:`.sanitize`),
CSV cells that never start a formula (:mod:`.csv_cells`)."""

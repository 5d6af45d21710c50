"""What keeps a student's kernel in its place: the bubblewrap sandbox and its limits
(:mod:`.sandbox`), the disk cap (:mod:`.disk_watch`), the launch guard (:mod:`.launch_guard`,
run as a script), the run's scratch folder (:mod:`.scratch`), the sealed results channel
(:mod:`.results_channel`) and the banned libraries left out (:mod:`.library_absence`)."""

"""nbgrader's exchange with hand-ins only their author and the teachers can open.

Stock nbgrader 0.9.6 (``nbgrader/exchange/default/submit.py``) leaves each hand-in folder
``inbound/STUDENT+NAME+TIMESTAMP+RANDOM`` at mode 0777 and its files at 0644: the folder's
name is hard to guess (the inbound folder is ``2733``, not listable), but whoever learns it
reads, replaces or deletes the work (nbgrader issue #978). :class:`PrivateSubmit` submits
the same files and then closes them: folder ``0750``, files ``0640``, in the group of the
inbound folder, which :mod:`autograder.classroom.hub` gives to the teachers. Other students
have no permission at all; the teachers' group reads.

Use it with ``c.ExchangeFactory.submit = "autograder.classroom.exchange.PrivateSubmit"``.
"""
from __future__ import annotations

import os
import secrets
import shutil

from nbgrader.exchange.default.submit import ExchangeSubmit

#: A hand-in's folders and files after submission: the author writes, the teachers' group reads.
HAND_IN_DIR_MODE = 0o750
HAND_IN_FILE_MODE = 0o640


class PrivateSubmit(ExchangeSubmit):
    """nbgrader's submit; then the hand-in is closed to everyone but its author and the group."""

    def copy_files(self):
        super().copy_files()
        hand_in = os.path.join(self.inbound_path, self.assignment_filename)
        # nbgrader's copy drops the folder's setgid bit before it writes timestamp.txt and the
        # secret, which so get the student's group; a student cannot give a file a group they are
        # not in, but a folder made in the (setgid) inbound folder hands its group to every new file.
        staged = os.path.join(self.inbound_path, "." + secrets.token_hex(8))  # a name collect skips
        shutil.copytree(hand_in, staged, copy_function=_copy_into_group, dirs_exist_ok=True)
        old = staged + "-old"
        os.rename(hand_in, old)
        os.rename(staged, hand_in)
        shutil.rmtree(old)
        self.set_perms(hand_in, fileperms=HAND_IN_FILE_MODE, dirperms=HAND_IN_DIR_MODE)


def _copy_into_group(source, target):
    """Copy contents and times, not mode: the new file keeps the group of its folder."""
    shutil.copyfile(source, target)
    shutil.copystat(source, target)

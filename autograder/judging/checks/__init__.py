"""The hidden checks, one module per assignment (``ps2.py`` holds every ``ps2.*`` check);
:func:`autograder.judging.registry.get` imports a module on the first use of its ids."""

"""How tests start child interpreters that import the same fastw2v as the test run.

CI installs fastw2v and runs the tests from a clean clone, where the source tree
has no compiled extensions; a child started in the repository root (``-c`` and
``-m`` put the working directory first on ``sys.path``) would import that
uncompiled tree. Children therefore get the parent's package directory on
``PYTHONPATH`` and a neutral working directory.
"""
import os
import tempfile

import fastw2v

PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(fastw2v.__file__)))
CHILD_CWD = tempfile.gettempdir()


def child_env(**extra):
    env = dict(os.environ)
    env["PYTHONPATH"] = PACKAGE_PARENT + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env

"""Today's web-AI stack (RQ4): its model kinds (kinds.py), how they are made (build.py, corpus.py) and
cached (artifacts.py)."""

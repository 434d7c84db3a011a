"""Day-2 change, from one Plan to the next:

- ``model``: a change and its classes (what it destroys, terminates or disrupts);
- ``diff``: the changes between two Plans, with the replacement cascade and each change's cause;
- ``impact``: what each change costs (data, running capacity, networking);
- ``moves``: the `pulumi state move` commands that carry moved resources over;
- ``gate``: what `check --diff` fails on unless `changes.allow_replace` allows it;
- ``report``: the diff as JSON and Markdown, and its totals.
"""

"""(being written: see docs/workflow.md)"""


def register() -> None:
    """Rules, templates, tasks and links of this area."""

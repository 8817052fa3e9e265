"""The cloud library on the desktop: the ``cloud`` backend (look up, import, upload), the incremental
sync of the change feed, and people shared across devices. See ``cloud_function.items`` for the
contract with the function and the other devices."""

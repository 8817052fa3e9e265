"""The cloud library seen from the desktop: its CloudFormation stack (``stack``, ``deploy``, ``destroy``,
``status``, made through ``session``), the ``cloud`` backend (look up, import, upload), the incremental
sync of the change feed, and people shared across devices. See ``photosorter.cloud_function.items`` for
the contract with the function and the other devices.
"""

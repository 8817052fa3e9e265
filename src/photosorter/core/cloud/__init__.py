"""The cloud library seen from the desktop: its CloudFormation stack (``stack``, ``deploy``, ``destroy``,
``status``, made through ``session``). See ``photosorter.cloud_function.items`` for the contract with the
function and the other devices.
"""

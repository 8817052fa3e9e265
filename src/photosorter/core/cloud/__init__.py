"""The cloud library's AWS side seen from the desktop: its CloudFormation stack (deploy, status, destroy).

The function that runs in AWS is ``photosorter.cloud_function``; the contract both sides read is
``photosorter.cloud_function.items``.
"""

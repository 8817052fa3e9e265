"""The cloud library's function: packaged alone (standard library + boto3) into the Lambda at deploy time.

Nothing here imports the rest of photosorter: the deployed zip holds this package only.
"""

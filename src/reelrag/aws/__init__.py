"""Shared AWS plumbing for ReelRAG's cloud backends (the ``aws`` extra).

``clients`` makes boto3 clients from settings and translates botocore errors into
:mod:`reelrag.errors`; ``lifecycle`` checks a Bedrock model's Active/Legacy/end-of-life state;
``schemas`` validates model request bodies before anything is paid for; ``video_models`` holds the
Bedrock video model table and builds their bodies. Importing this package
does not import boto3; its submodules do.
"""

"""The OpenSearch index (``index.opensearch``: Service or Serverless): the client and SigV4
connection (:mod:`.client`), query bodies (:mod:`.queries`) and the backend (:mod:`.index`).
"""

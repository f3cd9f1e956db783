"""In-painting on Amazon Bedrock (``editor.bedrock``): Nova Canvas request bodies and checks
(:mod:`.canvas`) and the editor (:mod:`.editor`).
"""

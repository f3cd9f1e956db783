"""Amazon Bedrock video (``generator.bedrock``): the model table with capabilities, prices and
request bodies (:mod:`.models`) and the generator that submits async jobs and polls them
(:mod:`.generator`, see ``BedrockGenerator.submit``).
"""

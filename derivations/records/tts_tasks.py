"""Task hardness, multi-task training and task selection of 2510.03605 (§4, Prop. 4.3): ids ``tts:*``."""

RECORDS: list = []

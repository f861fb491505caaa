"""Results of "Understanding the Role of Training Data in Test-Time Scaling" (arXiv 2510.03605): ids ``tts:*``."""

RECORDS: list = []

"""Files for people and other tools: exports, the HTML report, evaluation against gold."""

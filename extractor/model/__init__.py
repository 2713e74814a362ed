"""Everything about talking to the LLM: settings, provider profiles, the one instructor
adapter (``client``), prompt templates, the schema registry and the embedded local server."""

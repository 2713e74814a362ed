"""Text in: files → :class:`~extractor.text.reading.Document` → cleaned text → chunks.

``textnorm`` (script folding with offset maps), ``language`` (detection),
``reading`` (decoding, HTML, metadata), ``cleaning`` (boilerplate) and ``chunking``.
Nothing here calls a model.
"""

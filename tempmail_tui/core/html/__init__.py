"""Untrusted HTML, read once and one way: the tokenizer, the text of a mail and its links.

Every reader of mail HTML in the project goes through ``tokenizer``: the renderer's
fallback text and link list, the extractor's document text and the searchable text of
``text.document_text``.  One reader means one answer to "what does this mail say", and
one place where linear time has to be proven.
"""

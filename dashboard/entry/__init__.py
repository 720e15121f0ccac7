"""The quarterly loop, in one place: who owes what (``reporting``: states, missing rows,
deadlines; pure), the rules of the forms (``forms``: checks, saving, 报送, paste, review
actions, to-do lists; through the service, no SQL), and its pages: 数据填报 (``page``),
审核 (``review``) and 待办 (``todo``). docs/entry.md describes the loop."""

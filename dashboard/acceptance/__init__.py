"""验收清单 and 验收材料包 (issue 16): the checklist of every indicator's final status and proof,
the 已核验 marks, and the acceptance package. docs/evidence.md."""

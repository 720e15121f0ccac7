"""Evidence files (佐证材料) in the app: the detail page's section and the file route.
Storage, checks and rules: data.evidence and data.evidence_checks."""

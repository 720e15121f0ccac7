"""数据大屏 (wall screen): the rules (rules.py, pure) and the page (page.py). docs/screen.md."""

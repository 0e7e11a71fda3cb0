"""Exports (导出): CSV and Excel files of a viewer's subtree and period."""

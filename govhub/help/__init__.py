"""The user guide at /help: Markdown pages from docs/guide, screenshots from docs/screenshots."""

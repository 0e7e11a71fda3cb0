"""The projects list (项目清单): needs matched with resources and volunteers, with their
outcome; and units' proposals (项目认领) that a community accepts onto its list."""

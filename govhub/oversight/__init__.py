"""监测调度: the management face. The dashboard of an org unit's subtree for a period,
broken down one level down the tree, with charts; and the printable monthly report."""

"""The in-app 扫一扫: a camera page that opens govhub's own codes, and nothing else."""

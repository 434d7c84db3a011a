"""The node runtime, from the Plan: what each node does at boot (the launch template's user data and
the `ultraplan-node` program it installs) and what a scheduler needs to place jobs inside NVLink
domains (`ultraplan runtime`: a Slurm topology.yaml and a Kueue Topology). See docs/runtime.md.

Pure: nothing here imports pulumi or boto3; the boot program itself runs on the node with the AWS CLI.
"""

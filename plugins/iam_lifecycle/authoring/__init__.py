"""What the DAG files share: default arguments, task docs and the params of the trigger forms."""
